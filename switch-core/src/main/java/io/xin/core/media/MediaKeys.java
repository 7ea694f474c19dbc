package io.xin.core.media;

import io.xin.media.SignedUrls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The switch's media keys, read from the {@code media-signing-key} file: one key a line, {@code <id> <secret>}, the
 * id 1 to 32 characters of {@code [A-Za-z0-9_-]} and the secret at least 32 bytes in base64; blank lines and lines
 * starting with {@code #} are skipped. The first key signs; the others only verify, so a rotation puts a new key on
 * the first line and keeps the old one below it until everything it signed has expired.
 * <p>
 * Each key yields two keys of the same id, derived with HMAC-SHA256 under a label each: one for the upload and
 * download URLs ({@link SignedUrls}), one for the access tokens of stored messages ({@link AccessTokens}); a token of
 * one kind is never valid as the other.
 * <p>
 * Immutable.
 */
public final class MediaKeys
{
    private static final String URLS_LABEL = "xin media signed urls v1";
    private static final String TOKENS_LABEL = "xin media access tokens v1";
    private static final int NEW_SECRET_BYTES = 32;

    /** The file's keys, the signing one first. */
    private final List<SignedUrls.Key> keys;

    private MediaKeys(final List<SignedUrls.Key> keys)
    {
        this.keys = List.copyOf(keys);
    }

    /**
     * @param keys the signing key first, then the keys that still verify.
     * @return those keys.
     * @throws IllegalArgumentException if there is none or two share an id.
     */
    public static MediaKeys of(final List<SignedUrls.Key> keys)
    {
        if (keys == null || keys.isEmpty())
        {
            throw new IllegalArgumentException("at least one media key is required");
        }
        if (keys.stream().map(SignedUrls.Key::id).distinct().count() != keys.size())
        {
            throw new IllegalArgumentException("two media keys share an id");
        }
        return new MediaKeys(keys);
    }

    /**
     * @return one new random key, for a switch whose tokens need not outlive it (tests, demos).
     */
    public static MediaKeys random()
    {
        return of(List.of(newKey()));
    }

    /**
     * Reads a key file.
     *
     * @param file the file.
     * @return its keys.
     * @throws IOException              if it cannot be read.
     * @throws IllegalArgumentException if a line is not a key, or there is none.
     */
    public static MediaKeys read(final Path file) throws IOException
    {
        final List<SignedUrls.Key> keys = new ArrayList<>();
        int lineNumber = 0;
        for (final String raw : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            lineNumber++;
            final String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#"))
            {
                continue;
            }
            final String[] parts = line.split("\\s+");
            if (parts.length != 2)
            {
                throw new IllegalArgumentException("line " + lineNumber + " is not '<id> <base64 secret>'");
            }
            final byte[] secret;
            try
            {
                secret = Base64.getDecoder().decode(parts[1]);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("line " + lineNumber + ": the secret is not base64");
            }
            try
            {
                keys.add(new SignedUrls.Key(parts[0], secret));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("line " + lineNumber + ": " + ex.getMessage());
            }
        }
        if (keys.isEmpty())
        {
            throw new IllegalArgumentException("no key in " + file);
        }
        return of(keys);
    }

    /**
     * Reads a key file, or first writes one with a new random key if there is none (readable by its owner only,
     * where the filesystem has POSIX permissions).
     *
     * @param file the file.
     * @return its keys.
     * @throws IOException if it cannot be written or read.
     */
    public static MediaKeys readOrCreate(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            final SignedUrls.Key key = newKey();
            final String text = "# Xin media keys: '<id> <base64 secret>', the signing key first; keep older keys " +
                "below it until\n# the tokens they signed have expired.\n" + key.id() + " " +
                Base64.getEncoder().encodeToString(key.secret()) + "\n";
            try
            {
                if (file.getFileSystem().supportedFileAttributeViews().contains("posix"))
                {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
                }
                else
                {
                    Files.createFile(file);
                }
                Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            }
            catch (final FileAlreadyExistsException ex)
            {
                // Made by someone else meanwhile: read theirs.
            }
        }
        return read(file);
    }

    /**
     * @param clock the time of expiries.
     * @return the signer and verifier of upload and download URLs.
     */
    public SignedUrls signedUrls(final Clock clock)
    {
        final List<SignedUrls.Key> derived = derive(URLS_LABEL);
        return new SignedUrls(derived.get(0), derived.subList(1, derived.size()), clock);
    }

    /**
     * @param lifetime how long a token is valid after it is made; null for ever.
     * @param clock    the time of expiries.
     * @return the maker and verifier of access tokens.
     */
    public AccessTokens accessTokens(final Duration lifetime, final Clock clock)
    {
        final List<SignedUrls.Key> derived = derive(TOKENS_LABEL);
        return new AccessTokens(derived.get(0), derived.subList(1, derived.size()), lifetime, clock);
    }

    /**
     * @return the key ids, the signing one first: what may be logged of the keys.
     */
    public List<String> ids()
    {
        return keys.stream().map(SignedUrls.Key::id).toList();
    }

    @Override
    public String toString()
    {
        return "MediaKeys" + ids();
    }

    private List<SignedUrls.Key> derive(final String label)
    {
        final List<SignedUrls.Key> derived = new ArrayList<>(keys.size());
        for (final SignedUrls.Key key : keys)
        {
            try
            {
                final Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
                derived.add(new SignedUrls.Key(key.id(), mac.doFinal(label.getBytes(StandardCharsets.US_ASCII))));
            }
            catch (final NoSuchAlgorithmException | InvalidKeyException ex)
            {
                throw new IllegalStateException("every Java platform has HmacSHA256", ex);
            }
        }
        return derived;
    }

    private static SignedUrls.Key newKey()
    {
        final SecureRandom random = new SecureRandom();
        final byte[] secret = new byte[NEW_SECRET_BYTES];
        random.nextBytes(secret);
        final byte[] id = new byte[4];
        random.nextBytes(id);
        return new SignedUrls.Key("k" + HexFormat.of().formatHex(id), secret);
    }
}
