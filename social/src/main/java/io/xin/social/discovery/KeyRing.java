package io.xin.social.discovery;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The PRF keys a switch serves: the current key, which evaluates and takes registrations, and for a grace period
 * after a rotation the previous one, which still answers lookups of tags made under it (clients re-register under
 * the new key at their next login). A lookup or registration under any other key id is told the key rotated.
 * <p>
 * Its file, a Java properties file that the operator keeps secret (whoever reads it can reverse every
 * registration, docs/security.md):
 * <pre>
 *   current.id = 2
 *   current.seed = &lt;64 hex digits: 32 random bytes&gt;
 *   previous.id = 1                    (optional, during the grace period)
 *   previous.seed = &lt;64 hex digits&gt;
 * </pre>
 * Each key is derived from its seed and id ({@link OprfKey#derive}), so any 32 random bytes make a key, e.g.
 * {@code openssl rand -hex 32}. To rotate: the current lines become the previous ones, and a new id and seed the
 * current ({@link #rotatedFile}); after the grace period, drop the previous lines.
 * <p>
 * Immutable and thread-safe.
 */
public final class KeyRing
{
    private final OprfKey current;
    private final OprfKey previous;

    /**
     * @param current  the key that evaluates and takes registrations.
     * @param previous the key rotated out, still served for lookups; null when none.
     */
    public KeyRing(final OprfKey current, final OprfKey previous)
    {
        if (previous != null && previous.id() == current.id())
        {
            throw new IllegalArgumentException("the current and previous keys need different ids: " + current.id());
        }
        this.current = current;
        this.previous = previous;
    }

    public OprfKey current()
    {
        return current;
    }

    /**
     * @return the previous key, or null when none is served.
     */
    public OprfKey previous()
    {
        return previous;
    }

    /**
     * @return the key of a lookup under {@code keyId}: the current or the previous one; null when neither.
     */
    public OprfKey served(final int keyId)
    {
        if (keyId == current.id())
        {
            return current;
        }
        return previous != null && keyId == previous.id() ? previous : null;
    }

    /**
     * @return the ids served, the current first.
     */
    public int[] servedIds()
    {
        return previous == null ? new int[]{ current.id() } : new int[]{ current.id(), previous.id() };
    }

    /**
     * @return a ring where {@code next} is current and the current key is previous (the previous one is dropped).
     */
    public KeyRing rotate(final OprfKey next)
    {
        return new KeyRing(next, current);
    }

    /**
     * Reads a key file.
     *
     * @throws IOException              when it cannot be read.
     * @throws IllegalArgumentException naming what is wrong in it (never a seed).
     */
    public static KeyRing load(final Path file) throws IOException
    {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Parses a key file's text.
     *
     * @throws IllegalArgumentException naming what is wrong in it (never a seed).
     */
    public static KeyRing parse(final String text)
    {
        final Properties properties = new Properties();
        try
        {
            properties.load(new StringReader(text));
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not a properties file: " + ex.getMessage());
        }
        final OprfKey current = key(properties, "current");
        if (current == null)
        {
            throw new IllegalArgumentException("current.id and current.seed are required");
        }
        return new KeyRing(current, key(properties, "previous"));
    }

    private static OprfKey key(final Properties properties, final String name)
    {
        final String id = properties.getProperty(name + ".id");
        final String seed = properties.getProperty(name + ".seed");
        if (id == null && seed == null)
        {
            return null;
        }
        if (id == null || seed == null)
        {
            throw new IllegalArgumentException(name + ".id and " + name + ".seed go together");
        }
        final int keyId;
        try
        {
            keyId = Integer.parseInt(id.strip());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(name + ".id must be a number in 1.." + Integer.MAX_VALUE);
        }
        if (keyId <= 0)
        {
            throw new IllegalArgumentException(name + ".id must be a number in 1.." + Integer.MAX_VALUE);
        }
        final byte[] bytes;
        try
        {
            bytes = HexFormat.of().parseHex(seed.strip());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(name + ".seed must be 64 hex digits");
        }
        if (bytes.length != Oprf.SCALAR_LENGTH)
        {
            throw new IllegalArgumentException(name + ".seed must be 64 hex digits (32 bytes), was " + bytes.length +
                " bytes");
        }
        return OprfKey.derive(keyId, bytes);
    }

    /**
     * The text of a key file.
     *
     * @param previousSeed null for a file without a previous key.
     */
    public static String file(final int currentId, final byte[] currentSeed, final int previousId,
        final byte[] previousSeed)
    {
        final StringBuilder out = new StringBuilder(256)
            .append("# Xin contact discovery keys. Secret: whoever reads this can reverse every registration.\n")
            .append("current.id = ").append(currentId).append('\n')
            .append("current.seed = ").append(HexFormat.of().formatHex(currentSeed)).append('\n');
        if (previousSeed != null)
        {
            out.append("previous.id = ").append(previousId).append('\n')
                .append("previous.seed = ").append(HexFormat.of().formatHex(previousSeed)).append('\n');
        }
        return out.toString();
    }

    /**
     * The text of a new key file: one key of id {@code id} from a fresh 32-byte seed.
     *
     * @param random a cryptographically strong source.
     */
    public static String newFile(final int id, final SecureRandom random)
    {
        final byte[] seed = new byte[Oprf.SCALAR_LENGTH];
        random.nextBytes(seed);
        return file(id, seed, 0, null);
    }

    /**
     * The text of a key file rotated: its current key becomes the previous one, and {@code nextSeed} under
     * {@code nextId} the current.
     *
     * @throws IllegalArgumentException when the text is not a key file or {@code nextId} is the current id.
     */
    public static String rotatedFile(final String text, final int nextId, final byte[] nextSeed)
    {
        final KeyRing ring = parse(text);
        if (nextId == ring.current.id() || nextSeed.length != Oprf.SCALAR_LENGTH)
        {
            throw new IllegalArgumentException("the next key needs a new id and a 32-byte seed");
        }
        final Properties properties = new Properties();
        try
        {
            properties.load(new StringReader(text));
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(ex);
        }
        return file(nextId, nextSeed, ring.current.id(),
            HexFormat.of().parseHex(properties.getProperty("current.seed").strip()));
    }

    @Override
    public String toString()
    {
        return "KeyRing{current=" + current.id() + (previous == null ? "" : ", previous=" + previous.id()) + "}";
    }
}
