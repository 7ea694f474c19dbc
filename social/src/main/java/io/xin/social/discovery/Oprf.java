package io.xin.social.discovery;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.math.ec.ECPoint;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The suite of RFC 9497's oblivious PRF as Xin uses it: mode {@code 0x00} (OPRF, not verifiable), identifier
 * {@code P256-SHA256}. Its group operations, key derivation and byte formats; {@link OprfClient} blinds and
 * finalizes, {@link OprfKey} evaluates. docs/protocol.md ("Contact discovery") gives every step for other
 * languages.
 * <ul>
 *   <li>Elements are compressed SEC1 points, 33 bytes ({@code 0x02} or {@code 0x03}, then x big-endian). The
 *   identity is never a valid element.</li>
 *   <li>Scalars are 32 bytes big-endian, in {@code [1, n)}.</li>
 *   <li>The PRF output is 32 bytes (SHA-256); a discovery tag is its first 16.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class Oprf
{
    /** The mode byte of the context string: the base OPRF. */
    public static final byte MODE_OPRF = 0x00;
    /** RFC 9497's identifier of the suite. */
    public static final String SUITE = "P256-SHA256";
    public static final int ELEMENT_LENGTH = 33;
    public static final int SCALAR_LENGTH = 32;
    public static final int OUTPUT_LENGTH = 32;
    /** The first bytes of an output that name a number in the directory. */
    public static final int TAG_LENGTH = 16;
    /** An input's length goes in two bytes. */
    public static final int MAX_INPUT_LENGTH = 0xFFFF;

    /** {@code "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier}. */
    static final byte[] CONTEXT = concat(ascii("OPRFV1-"), new byte[]{ MODE_OPRF }, ascii("-" + SUITE));
    static final byte[] HASH_TO_GROUP_DST = concat(ascii("HashToGroup-"), CONTEXT);
    static final byte[] HASH_TO_SCALAR_DST = concat(ascii("HashToScalar-"), CONTEXT);
    static final byte[] DERIVE_KEY_PAIR_DST = concat(ascii("DeriveKeyPair"), CONTEXT);
    private static final byte[] FINALIZE = ascii("Finalize");

    private Oprf()
    {
    }

    /**
     * RFC 9497's HashToGroup: hash_to_curve with the DST {@code "HashToGroup-OPRFV1-\x00-P256-SHA256"}.
     */
    public static ECPoint hashToGroup(final byte[] input)
    {
        return HashToCurve.hashToCurve(input, HASH_TO_GROUP_DST);
    }

    /**
     * RFC 9497 section 3.2.1, DeriveKeyPair: the private key from a seed and public info.
     *
     * @param seed 32 secret, uniformly random bytes.
     * @param info public, at most 65535 bytes (a key's name; Xin uses the key id, see {@link KeyRing}).
     * @return the private scalar, in {@code [1, n)}.
     */
    public static BigInteger deriveKeyPair(final byte[] seed, final byte[] info)
    {
        if (info.length > MAX_INPUT_LENGTH)
        {
            throw new IllegalArgumentException("info longer than 65535 bytes");
        }
        // deriveInput = seed || I2OSP(len(info), 2) || info, then a counter byte
        final byte[] deriveInput = new byte[seed.length + 2 + info.length + 1];
        System.arraycopy(seed, 0, deriveInput, 0, seed.length);
        deriveInput[seed.length] = (byte)(info.length >>> 8);
        deriveInput[seed.length + 1] = (byte)info.length;
        System.arraycopy(info, 0, deriveInput, seed.length + 2, info.length);
        for (int counter = 0; counter <= 255; counter++)
        {
            deriveInput[deriveInput.length - 1] = (byte)counter;
            final BigInteger skS = HashToCurve.hashToScalar(deriveInput, DERIVE_KEY_PAIR_DST);
            if (skS.signum() != 0)
            {
                return skS;
            }
        }
        throw new IllegalStateException("DeriveKeyPairError");
    }

    /** A point as its 33-byte compressed SEC1 encoding. */
    public static byte[] serializeElement(final ECPoint point)
    {
        if (point.isInfinity())
        {
            throw new IllegalArgumentException("the identity has no encoding");
        }
        return point.getEncoded(true);
    }

    /**
     * Reads and validates an element: 33 bytes, a compressed point whose x is below the prime and on the curve.
     *
     * @throws IllegalArgumentException when it is not a valid, non-identity element.
     */
    public static ECPoint deserializeElement(final byte[] bytes)
    {
        if (bytes.length != ELEMENT_LENGTH || (bytes[0] != 0x02 && bytes[0] != 0x03))
        {
            throw new IllegalArgumentException("an element is a 33-byte compressed point");
        }
        // BouncyCastle checks x < p and that x^3 + ax + b has a square root (else "Invalid point compression").
        final ECPoint point = HashToCurve.CURVE.decodePoint(bytes);
        if (point.isInfinity() || !point.isValid())
        {
            throw new IllegalArgumentException("not a point of the group");
        }
        return point;
    }

    /** A scalar as 32 bytes big-endian. */
    public static byte[] serializeScalar(final BigInteger scalar)
    {
        if (scalar.signum() < 0 || scalar.compareTo(HashToCurve.ORDER) >= 0)
        {
            throw new IllegalArgumentException("a scalar is in [0, n)");
        }
        final byte[] out = new byte[SCALAR_LENGTH];
        final byte[] raw = scalar.toByteArray();
        final int length = Math.min(raw.length, SCALAR_LENGTH);
        System.arraycopy(raw, raw.length - length, out, SCALAR_LENGTH - length, length);
        return out;
    }

    /**
     * @throws IllegalArgumentException when it is not 32 bytes or not in {@code [1, n)}.
     */
    public static BigInteger deserializeScalar(final byte[] bytes)
    {
        if (bytes.length != SCALAR_LENGTH)
        {
            throw new IllegalArgumentException("a scalar is 32 bytes");
        }
        final BigInteger scalar = new BigInteger(1, bytes);
        if (scalar.signum() == 0 || scalar.compareTo(HashToCurve.ORDER) >= 0)
        {
            throw new IllegalArgumentException("a scalar is in [1, n)");
        }
        return scalar;
    }

    /**
     * The last step of Finalize (and of a server's direct Evaluate): {@code SHA-256(I2OSP(len(input), 2) || input
     * || I2OSP(len(element), 2) || element || "Finalize")}.
     */
    static byte[] finalizeHash(final byte[] input, final byte[] unblindedElement)
    {
        final SHA256Digest sha = new SHA256Digest();
        sha.update((byte)(input.length >>> 8));
        sha.update((byte)input.length);
        sha.update(input, 0, input.length);
        sha.update((byte)(unblindedElement.length >>> 8));
        sha.update((byte)unblindedElement.length);
        sha.update(unblindedElement, 0, unblindedElement.length);
        sha.update(FINALIZE, 0, FINALIZE.length);
        final byte[] out = new byte[OUTPUT_LENGTH];
        sha.doFinal(out, 0);
        return out;
    }

    /** The discovery tag of a PRF output: its first 16 bytes. */
    public static byte[] tag(final byte[] output)
    {
        if (output.length != OUTPUT_LENGTH)
        {
            throw new IllegalArgumentException("an output is 32 bytes");
        }
        return Arrays.copyOf(output, TAG_LENGTH);
    }

    static void checkInput(final byte[] input)
    {
        if (input.length > MAX_INPUT_LENGTH)
        {
            throw new IllegalArgumentException("an input is at most 65535 bytes");
        }
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(final byte[]... parts)
    {
        int length = 0;
        for (final byte[] part : parts)
        {
            length += part.length;
        }
        final byte[] out = new byte[length];
        int at = 0;
        for (final byte[] part : parts)
        {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
