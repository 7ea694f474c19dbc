package io.xin.social.discovery;

import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 9380 Appendix J.1.1, suite P256_XMD:SHA-256_SSWU_RO_, DST "QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_":
 * the field elements u0 and u1, the mapped points Q0 and Q1 of the first message, and the final point P.
 */
final class HashToCurveTest
{
    private static final byte[] DST = ascii("QUUX-V01-CS02-with-P256_XMD:SHA-256_SSWU_RO_");

    @Test
    void shouldHashTheEmptyMessageAsTheRfcSays()
    {
        final String msg = "";
        assertField(msg, "ad5342c66a6dd0ff080df1da0ea1c04b96e0330dd89406465eeba11582515009",
            "8c0f1d43204bd6f6ea70ae8013070a1518b43873bcd850aafa0a9e220e2eea5a");
        final BigInteger[] u = HashToCurve.hashToField(ascii(msg), DST, 2, HashToCurve.FIELD_PRIME);
        assertPoint(HashToCurve.mapToCurve(u[0]), "ab640a12220d3ff283510ff3f4b1953d09fad35795140b1c5d64f313967934d5",
            "dccb558863804a881d4fff3455716c836cef230e5209594ddd33d85c565b19b1");
        assertPoint(HashToCurve.mapToCurve(u[1]), "51cce63c50d972a6e51c61334f0f4875c9ac1cd2d3238412f84e31da7d980ef5",
            "b45d1a36d00ad90e5ec7840a60a4de411917fbe7c82c3949a6e699e5a1b66aac");
        assertPoint(HashToCurve.hashToCurve(ascii(msg), DST),
            "2c15230b26dbc6fc9a37051158c95b79656e17a1a920b11394ca91c44247d3e4",
            "8a7a74985cc5c776cdfe4b1f19884970453912e9d31528c060be9ab5c43e8415");
    }

    @Test
    void shouldHashAbcAsTheRfcSays()
    {
        assertField("abc", "afe47f2ea2b10465cc26ac403194dfb68b7f5ee865cda61e9f3e07a537220af1",
            "379a27833b0bfe6f7bdca08e1e83c760bf9a338ab335542704edcd69ce9e46e0");
        assertPoint(HashToCurve.hashToCurve(ascii("abc"), DST),
            "0bb8b87485551aa43ed54f009230450b492fead5f1cc91658775dac4a3388a0f",
            "5c41b3d0731a27a7b14bc0bf0ccded2d8751f83493404c84a88e71ffd424212e");
    }

    @Test
    void shouldHashALongerMessageAsTheRfcSays()
    {
        assertField("abcdef0123456789", "0fad9d125a9477d55cf9357105b0eb3a5c4259809bf87180aa01d651f53d312c",
            "b68597377392cd3419d8fcc7d7660948c8403b19ea78bbca4b133c9d2196c0fb");
        assertPoint(HashToCurve.hashToCurve(ascii("abcdef0123456789"), DST),
            "65038ac8f2b1def042a5df0b33b1f4eca6bff7cb0f9c6c1526811864e544ed80",
            "cad44d40a656e7aff4002a8de287abc8ae0482b5ae825822bb870d6df9b56ca3");
    }

    @Test
    void shouldHashTheLongMessagesAsTheRfcSays()
    {
        assertPoint(HashToCurve.hashToCurve(ascii("q128_" + "q".repeat(128)), DST),
            "4be61ee205094282ba8a2042bcb48d88dfbb609301c49aa8b078533dc65a0b5d",
            "98f8df449a072c4721d241a3b1236d3caccba603f916ca680f4539d2bfb3c29e");
        assertPoint(HashToCurve.hashToCurve(ascii("a512_" + "a".repeat(512)), DST),
            "457ae2981f70ca85d8e24c308b14db22f3e3862c5ea0f652ca38b5e49cd64bc5",
            "ecb9f0eadc9aeed232dabc53235368c1394c78de05dd96893eefa62b0f4757dc");
    }

    @Test
    void shouldMapEveryFieldElementOntoTheCurveWithTheSignOfU()
    {
        // The exceptional case u = 0 (tv1 = 0) and a spread of others: the point is on the curve and sgn0(y)
        // follows sgn0(u).
        for (int i = 0; i < 200; i++)
        {
            final BigInteger u = BigInteger.valueOf(i).pow(7).add(BigInteger.valueOf(i)).mod(HashToCurve.FIELD_PRIME);
            final ECPoint point = HashToCurve.mapToCurve(u);
            assertTrue(point.isValid(), "u = " + u);
            assertEquals(u.testBit(0), point.getAffineYCoord().toBigInteger().testBit(0), "u = " + u);
        }
    }

    @Test
    void shouldSeparateDomains()
    {
        assertNotEquals(HashToCurve.hashToCurve(ascii("abc"), DST),
            HashToCurve.hashToCurve(ascii("abc"), ascii("another-DST")));
    }

    @Test
    void shouldRefuseABadDstOrLength()
    {
        assertThrows(IllegalArgumentException.class, () -> HashToCurve.expandMessageXmd(new byte[0], new byte[0], 32));
        assertThrows(IllegalArgumentException.class,
            () -> HashToCurve.expandMessageXmd(new byte[0], new byte[256], 32));
        assertThrows(IllegalArgumentException.class, () -> HashToCurve.expandMessageXmd(new byte[0], DST, 8161));
        assertEquals(8160, HashToCurve.expandMessageXmd(new byte[0], DST, 8160).length);
    }

    private static void assertField(final String msg, final String u0, final String u1)
    {
        final BigInteger[] u = HashToCurve.hashToField(ascii(msg), DST, 2, HashToCurve.FIELD_PRIME);
        assertEquals(new BigInteger(u0, 16), u[0], "u0 of '" + msg + "'");
        assertEquals(new BigInteger(u1, 16), u[1], "u1 of '" + msg + "'");
    }

    private static void assertPoint(final ECPoint point, final String x, final String y)
    {
        final ECPoint normal = point.normalize();
        assertEquals(x, Hex.toHexString(normal.getAffineXCoord().getEncoded()));
        assertEquals(y, Hex.toHexString(normal.getAffineYCoord().getEncoded()));
    }

    private static byte[] ascii(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
