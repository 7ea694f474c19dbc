package io.xin.social.discovery;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;

import java.math.BigInteger;

/**
 * RFC 9380 for the suite {@code P256_XMD:SHA-256_SSWU_RO_}: {@code expand_message_xmd} with SHA-256,
 * {@code hash_to_field} into the base field (or, for RFC 9497's HashToScalar, the group order), the simplified
 * SWU map for P-256 with {@code Z = -10}, and {@code hash_to_curve} as the sum of two mapped points (P-256 has
 * cofactor 1, so clearing it changes nothing). The arithmetic is BouncyCastle's custom P-256 curve.
 * <p>
 * Not constant time: the map branches on whether {@code gx1} is a square, and BouncyCastle's field inversion and
 * square root are not documented as constant time. The inputs hashed here are the client's own phone numbers, on
 * the client's own device; see docs/security.md.
 * <p>
 * Stateless and thread-safe.
 */
public final class HashToCurve
{
    /** The curve, its generator and the group order: BouncyCastle's custom (faster) secp256r1. */
    static final X9ECParameters PARAMS = CustomNamedCurves.getByName("secp256r1");
    static final ECCurve CURVE = PARAMS.getCurve();
    static final ECPoint GENERATOR = PARAMS.getG();
    static final BigInteger ORDER = PARAMS.getN();
    static final BigInteger FIELD_PRIME = CURVE.getField().getCharacteristic();

    /** {@code L = ceil((ceil(log2(p)) + k) / 8)} with k = 128: 48 bytes per field element. */
    static final int L = 48;
    private static final int HASH_LENGTH = 32;
    /** SHA-256's input block size, the length of {@code Z_pad}. */
    private static final int BLOCK_LENGTH = 64;
    private static final byte[] Z_PAD = new byte[BLOCK_LENGTH];

    private static final ECFieldElement A = CURVE.getA();
    private static final ECFieldElement B = CURVE.getB();
    /** RFC 9380 section 8.2: Z = -10 for P-256. */
    private static final ECFieldElement Z = CURVE.fromBigInteger(FIELD_PRIME.subtract(BigInteger.TEN));
    private static final ECFieldElement MINUS_B_OVER_A = B.negate().divide(A);
    private static final ECFieldElement B_OVER_Z_A = B.divide(Z.multiply(A));

    private HashToCurve()
    {
    }

    /**
     * RFC 9380 section 5.3.1, with SHA-256.
     *
     * @param msg        the message.
     * @param dst        the domain separation tag, 1..255 bytes.
     * @param lenInBytes the output length, 1..8160 (255 hashes).
     * @return {@code lenInBytes} uniform bytes.
     */
    public static byte[] expandMessageXmd(final byte[] msg, final byte[] dst, final int lenInBytes)
    {
        final int ell = (lenInBytes + HASH_LENGTH - 1) / HASH_LENGTH;
        if (dst.length == 0 || dst.length > 255)
        {
            throw new IllegalArgumentException("DST must be 1..255 bytes, was " + dst.length);
        }
        if (lenInBytes <= 0 || ell > 255)
        {
            throw new IllegalArgumentException("len_in_bytes must be 1..8160, was " + lenInBytes);
        }
        final SHA256Digest sha = new SHA256Digest();
        // b_0 = H(Z_pad || msg || I2OSP(len_in_bytes, 2) || I2OSP(0, 1) || DST_prime)
        sha.update(Z_PAD, 0, BLOCK_LENGTH);
        sha.update(msg, 0, msg.length);
        sha.update((byte)(lenInBytes >>> 8));
        sha.update((byte)lenInBytes);
        sha.update((byte)0);
        updateDstPrime(sha, dst);
        final byte[] b0 = new byte[HASH_LENGTH];
        sha.doFinal(b0, 0);

        final byte[] out = new byte[lenInBytes];
        final byte[] bi = new byte[HASH_LENGTH];
        final byte[] chained = new byte[HASH_LENGTH];
        // b_1 = H(b_0 || I2OSP(1, 1) || DST_prime); b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime)
        System.arraycopy(b0, 0, chained, 0, HASH_LENGTH);
        for (int i = 1; i <= ell; i++)
        {
            sha.update(chained, 0, HASH_LENGTH);
            sha.update((byte)i);
            updateDstPrime(sha, dst);
            sha.doFinal(bi, 0);
            final int at = (i - 1) * HASH_LENGTH;
            System.arraycopy(bi, 0, out, at, Math.min(HASH_LENGTH, lenInBytes - at));
            for (int j = 0; j < HASH_LENGTH; j++)
            {
                chained[j] = (byte)(b0[j] ^ bi[j]);
            }
        }
        return out;
    }

    private static void updateDstPrime(final SHA256Digest sha, final byte[] dst)
    {
        sha.update(dst, 0, dst.length);
        sha.update((byte)dst.length);
    }

    /**
     * RFC 9380 section 5.2 with m = 1 and L = 48: {@code count} elements of Z/modulus.
     *
     * @param modulus the field prime for hash_to_curve, or the group order for RFC 9497's HashToScalar (whose
     *                order is as long as the prime, so L = 48 serves both).
     */
    public static BigInteger[] hashToField(
        final byte[] msg, final byte[] dst, final int count, final BigInteger modulus)
    {
        final byte[] uniform = expandMessageXmd(msg, dst, count * L);
        final BigInteger[] u = new BigInteger[count];
        final byte[] tv = new byte[L];
        for (int i = 0; i < count; i++)
        {
            System.arraycopy(uniform, i * L, tv, 0, L);
            u[i] = new BigInteger(1, tv).mod(modulus);
        }
        return u;
    }

    /**
     * RFC 9380 section 6.6.2, the simplified Shallue-van de Woestijne-Ulas map for P-256 (A = -3, Z = -10), in
     * the straight-line form of its section 6.6.2 steps.
     *
     * @param u an element of the base field, in {@code [0, p)}.
     * @return a point on the curve, normalized.
     */
    public static ECPoint mapToCurve(final BigInteger u)
    {
        final ECFieldElement fu = CURVE.fromBigInteger(u);
        // tv1 = 1 / (Z^2 * u^4 + Z * u^2), 0 when the denominator is 0
        final ECFieldElement zu2 = Z.multiply(fu.square());
        final ECFieldElement denominator = zu2.square().add(zu2);
        final ECFieldElement x1 = denominator.isZero() ? B_OVER_Z_A :
            MINUS_B_OVER_A.multiply(CURVE.fromBigInteger(BigInteger.ONE).add(denominator.invert()));
        final ECFieldElement gx1 = x1.square().add(A).multiply(x1).add(B);
        ECFieldElement x = x1;
        ECFieldElement y = gx1.sqrt();
        if (y == null)
        {
            x = zu2.multiply(x1);
            final ECFieldElement gx2 = x.square().add(A).multiply(x).add(B);
            y = gx2.sqrt();
            if (y == null)
            {
                // gx2 = Z^3 * u^6 * gx1 and Z is not a square, so one of the two is: cannot happen.
                throw new IllegalStateException("neither gx1 nor gx2 is a square");
            }
        }
        // sgn0 for a prime field is the parity of the (canonical) value.
        if (fu.testBitZero() != y.testBitZero())
        {
            y = y.negate();
        }
        return CURVE.createPoint(x.toBigInteger(), y.toBigInteger());
    }

    /**
     * RFC 9380 section 3, {@code hash_to_curve} of the suite {@code P256_XMD:SHA-256_SSWU_RO_}.
     *
     * @param msg the input.
     * @param dst the domain separation tag.
     * @return a point of the group, normalized; never the identity for practical purposes (it would take
     * {@code map(u0) = -map(u1)}).
     */
    public static ECPoint hashToCurve(final byte[] msg, final byte[] dst)
    {
        final BigInteger[] u = hashToField(msg, dst, 2, FIELD_PRIME);
        // clear_cofactor is the identity: P-256's cofactor is 1.
        return mapToCurve(u[0]).add(mapToCurve(u[1])).normalize();
    }

    /**
     * RFC 9497 section 4.3's HashToScalar for P-256: hash_to_field into the group order.
     */
    public static BigInteger hashToScalar(final byte[] msg, final byte[] dst)
    {
        return hashToField(msg, dst, 1, ORDER)[0];
    }
}
