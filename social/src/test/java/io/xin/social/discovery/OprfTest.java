package io.xin.social.discovery;

import org.bouncycastle.util.encoders.Hex;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * RFC 9497 Appendix A.3.1, P256-SHA256 in OPRF mode: the key derived from the seed and key info, and for each
 * test vector the blinded element, the evaluated element and the output; then the protocol's algebra.
 */
final class OprfTest
{
    private static final byte[] SEED = Hex.decode("a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3");
    private static final byte[] KEY_INFO = Hex.decode("74657374206b6579");
    private static final String SK_SM = "159749d750713afe245d2d39ccfaae8381c53ce92d098a9375ee70739c7ac0bf";
    private static final BigInteger BLIND =
        new BigInteger("3338fa65ec36e0290022b48eb562889d89dbfa691d1cde91517fa222ed7ad364", 16);

    @Test
    void shouldDeriveTheRfcKey()
    {
        assertEquals(SK_SM, Hex.toHexString(Oprf.serializeScalar(Oprf.deriveKeyPair(SEED, KEY_INFO))));
    }

    @Test
    void shouldUseTheRfcContextString()
    {
        assertArrayEquals("HashToGroup-OPRFV1-\u0000-P256-SHA256".getBytes(StandardCharsets.US_ASCII),
            Oprf.HASH_TO_GROUP_DST);
    }

    @Test
    void shouldReproduceTestVector1()
    {
        checkVector("00", "03723a1e5c09b8b9c18d1dcbca29e8007e95f14f4732d9346d490ffc195110368d",
            "030de02ffec47a1fd53efcdd1c6faf5bdc270912b8749e783c7ca75bb412958832",
            "a0b34de5fa4c5b6da07e72af73cc507cceeb48981b97b7285fc375345fe495dd");
    }

    @Test
    void shouldReproduceTestVector2()
    {
        checkVector("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
            "03cc1df781f1c2240a64d1c297b3f3d16262ef5d4cf102734882675c26231b0838",
            "03a0395fe3828f2476ffcd1f4fe540e5a8489322d398be3c4e5a869db7fcb7c52c",
            "c748ca6dd327f0ce85f4ae3a8cd6d4d5390bbb804c9e12dcf94f853fece3dcce");
    }

    private static void checkVector(
        final String input, final String blindedElement, final String evaluationElement, final String output)
    {
        final OprfKey key = new OprfKey(1, Oprf.deriveKeyPair(SEED, KEY_INFO));
        final OprfClient.Blinded blinded = OprfClient.blind(Hex.decode(input), BLIND);
        assertEquals(blindedElement, Hex.toHexString(blinded.blindedElement()));
        final byte[] evaluated = key.blindEvaluate(blinded.blindedElement());
        assertEquals(evaluationElement, Hex.toHexString(evaluated));
        assertEquals(evaluationElement, Hex.toHexString(key.blindEvaluate(List.of(blinded.blindedElement()))[0]));
        assertEquals(output, Hex.toHexString(OprfClient.finalizeOutput(blinded, evaluated)));
        assertEquals(output, Hex.toHexString(key.evaluate(Hex.decode(input))));
    }

    /** The example of docs/protocol.md ("Contact discovery"): Xin's key derivation and a number as input. */
    @Test
    void shouldReproduceTheExampleOfTheProtocolDocument()
    {
        final OprfKey key = OprfKey.derive(1, new byte[32]);
        assertEquals("8db22eb1f3f24e5900a765fad2a5fc1ac2aa04cd156861bbbd364d7bfb511581",
            Hex.toHexString(Oprf.serializeScalar(key.secret())));
        final byte[] input = "+8613800138000".getBytes(StandardCharsets.UTF_8);
        final OprfClient.Blinded blinded = OprfClient.blind(input, BLIND);
        assertEquals("031873817adc38ddc8948b48c23c99ed235f6c306428041c98e2c01f462626c7e3",
            Hex.toHexString(blinded.blindedElement()));
        final byte[] evaluated = key.blindEvaluate(blinded.blindedElement());
        assertEquals("0355e14a3e196c7c1c7b9dca8ace681b391ef8b0f6c0dbb4cade6250580a2ea77e", Hex.toHexString(evaluated));
        final byte[] output = OprfClient.finalizeOutput(blinded, evaluated);
        assertEquals("dc369463437bbdd0b87ae559756a771ad5d8ebce1499f989c0bc91ccb919efe6", Hex.toHexString(output));
        assertEquals("dc369463437bbdd0b87ae559756a771a", Hex.toHexString(Oprf.tag(output)));
    }

    @Test
    void shouldGiveTheSameOutputWhateverTheBlind()
    {
        final SecureRandom random = new SecureRandom();
        final OprfKey key = OprfKey.derive(7, new byte[32]);
        final byte[] input = "+8613800138000".getBytes(StandardCharsets.UTF_8);
        final OprfClient.Blinded first = OprfClient.blind(input, random);
        final OprfClient.Blinded second = OprfClient.blind(input, random);
        assertFalse(Arrays.equals(first.blindedElement(), second.blindedElement()), "blinded elements must differ");
        final byte[] output = OprfClient.finalizeOutput(first, key.blindEvaluate(first.blindedElement()));
        assertArrayEquals(output, OprfClient.finalizeOutput(second, key.blindEvaluate(second.blindedElement())));
        assertArrayEquals(output, key.evaluate(input));
        assertEquals(16, Oprf.tag(output).length);
        assertArrayEquals(Arrays.copyOf(output, 16), Oprf.tag(output));
    }

    @Test
    void shouldGiveDifferentOutputsForDifferentKeysOrInputs()
    {
        final byte[] input = "+8613800138000".getBytes(StandardCharsets.UTF_8);
        final OprfKey one = OprfKey.derive(1, new byte[32]);
        final OprfKey two = OprfKey.derive(2, new byte[32]);
        assertFalse(Arrays.equals(one.evaluate(input), two.evaluate(input)), "key ids must derive different keys");
        assertFalse(Arrays.equals(one.evaluate(input),
            one.evaluate("+8613800138001".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void shouldRefuseInvalidElements()
    {
        final OprfKey key = OprfKey.derive(1, new byte[32]);
        final byte[] valid = OprfClient.blind(new byte[]{ 1 }, new SecureRandom()).blindedElement();
        assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(new byte[33]));
        assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(new byte[]{ 0 }));
        assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(Arrays.copyOf(valid, 32)));
        final byte[] uncompressed = Oprf.deserializeElement(valid).getEncoded(false);
        assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(uncompressed));
        // x = 2^256 - 1 is not below the field prime.
        final byte[] tooLarge = new byte[33];
        Arrays.fill(tooLarge, (byte)0xff);
        tooLarge[0] = 0x02;
        assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(tooLarge));
        // An x with no point: find one by trying.
        final byte[] offCurve = valid.clone();
        for (int i = 0; i < 64; i++)
        {
            offCurve[32] = (byte)i;
            try
            {
                Oprf.deserializeElement(offCurve);
            }
            catch (final IllegalArgumentException ex)
            {
                assertThrows(IllegalArgumentException.class, () -> key.blindEvaluate(offCurve));
                final IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                    () -> key.blindEvaluate(List.of(valid, offCurve)));
                assertEquals(true, batch.getMessage().startsWith("element 1"), batch.getMessage());
                return;
            }
        }
        throw new AssertionError("no x without a point among 64 tries");
    }

    @Test
    void shouldRoundTripScalarsAndRefuseOutOfRange()
    {
        final BigInteger scalar = new BigInteger(SK_SM, 16);
        assertEquals(scalar, Oprf.deserializeScalar(Oprf.serializeScalar(scalar)));
        assertEquals(32, Oprf.serializeScalar(BigInteger.ONE).length);
        assertThrows(IllegalArgumentException.class, () -> Oprf.deserializeScalar(new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> Oprf.deserializeScalar(Hex.decode("ff".repeat(32))));
        assertThrows(IllegalArgumentException.class, () -> Oprf.deserializeScalar(new byte[31]));
        assertThrows(IllegalArgumentException.class, () -> Oprf.serializeScalar(HashToCurve.ORDER));
    }

    @Test
    void shouldNeverPrintTheKey()
    {
        assertEquals("OprfKey{id=3}", OprfKey.derive(3, SEED).toString());
    }
}
