package io.xin.social.discovery;

import org.bouncycastle.math.ec.ECPoint;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

/**
 * A server's PRF key and its id: the private scalar {@code skS} that {@link #blindEvaluate} multiplies blinded
 * elements by. Whoever holds it can compute the PRF of any input directly ({@link #evaluate}), so it is the
 * secret that keeps registrations unreadable (docs/security.md says what it does not protect).
 * <p>
 * Each multiplication uses a freshly randomised scalar {@code skS + r * n} (r a random 64-bit number), which
 * names the same point but changes the sequence of point operations every time: BouncyCastle's multiplier is not
 * constant time, and this keeps its timing from being a function of the key alone.
 * <p>
 * Immutable and thread-safe; the randomness comes from one {@link SecureRandom} per thread.
 */
public final class OprfKey
{
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private final int id;
    private final BigInteger secret;

    /**
     * @param id     the key id clients quote back (positive).
     * @param secret the private scalar, in {@code [1, n)}.
     */
    public OprfKey(final int id, final BigInteger secret)
    {
        if (id <= 0)
        {
            throw new IllegalArgumentException("a key id is positive: " + id);
        }
        if (secret.signum() <= 0 || secret.compareTo(HashToCurve.ORDER) >= 0)
        {
            throw new IllegalArgumentException("a private key is in [1, n)");
        }
        this.id = id;
        this.secret = secret;
    }

    /**
     * The key of id {@code id} derived from a 32-byte seed: RFC 9497's DeriveKeyPair with the info
     * {@code "xin-discovery-key-" + id}, so one seed never gives two ids the same key.
     */
    public static OprfKey derive(final int id, final byte[] seed)
    {
        if (seed.length != Oprf.SCALAR_LENGTH)
        {
            throw new IllegalArgumentException("a key seed is 32 bytes, was " + seed.length);
        }
        return new OprfKey(id, Oprf.deriveKeyPair(seed, info(id)));
    }

    /** The public info of {@link #derive}: {@code "xin-discovery-key-<id>"} in ASCII. */
    public static byte[] info(final int id)
    {
        return ("xin-discovery-key-" + id).getBytes(StandardCharsets.US_ASCII);
    }

    public int id()
    {
        return id;
    }

    /** The private scalar; for tests and tools, never for the wire. */
    BigInteger secret()
    {
        return secret;
    }

    /**
     * RFC 9497's BlindEvaluate of one element.
     *
     * @param blindedElement 33 bytes from a client.
     * @return {@code skS * blindedElement}, serialized.
     * @throws IllegalArgumentException when the element is not a valid, non-identity element.
     */
    public byte[] blindEvaluate(final byte[] blindedElement)
    {
        return Oprf.serializeElement(multiply(Oprf.deserializeElement(blindedElement)).normalize());
    }

    /**
     * BlindEvaluate of a batch: every element is checked first, then multiplied; the results share one field
     * inversion to become affine (Montgomery's trick).
     *
     * @return the evaluated elements, in order.
     * @throws IllegalArgumentException naming the first element that is not valid; nothing is evaluated then.
     */
    public byte[][] blindEvaluate(final List<byte[]> blindedElements)
    {
        final int count = blindedElements.size();
        final ECPoint[] points = new ECPoint[count];
        for (int i = 0; i < count; i++)
        {
            try
            {
                points[i] = Oprf.deserializeElement(blindedElements.get(i));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new IllegalArgumentException("element " + i + ": " + ex.getMessage(), ex);
            }
        }
        for (int i = 0; i < count; i++)
        {
            points[i] = multiply(points[i]);
        }
        HashToCurve.CURVE.normalizeAll(points);
        final byte[][] out = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            out[i] = Oprf.serializeElement(points[i]);
        }
        return out;
    }

    /**
     * The PRF evaluated directly, without blinding: {@code Finalize(input, skS * HashToGroup(input))}, equal to
     * what a client gets through {@link OprfClient}. The switch never calls it: the number-verifying service does, to
     * issue a registration's proof ({@link RegistrationProofs#issue}); it also measures what the key's holder could do
     * (docs/security.md) and checks the protocol in tests.
     */
    public byte[] evaluate(final byte[] input)
    {
        Oprf.checkInput(input);
        final ECPoint evaluated = multiply(Oprf.hashToGroup(input)).normalize();
        return Oprf.finalizeHash(input, Oprf.serializeElement(evaluated));
    }

    private ECPoint multiply(final ECPoint point)
    {
        final long r = RANDOM.get().nextLong() >>> 1 | 1L;
        return point.multiply(secret.add(HashToCurve.ORDER.multiply(BigInteger.valueOf(r))));
    }

    /** Never prints the key. */
    @Override
    public String toString()
    {
        return "OprfKey{id=" + id + "}";
    }
}
