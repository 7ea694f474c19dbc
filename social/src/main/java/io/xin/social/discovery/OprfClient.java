package io.xin.social.discovery;

import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * The client's two steps of RFC 9497's OPRF mode: {@link #blind} an input before it is sent, and
 * {@link #finalizeOutput} the server's evaluation into the PRF output. The blind never leaves the client: the
 * server sees a uniformly random group element, whatever the input.
 * <p>
 * Stateless and thread-safe.
 */
public final class OprfClient
{
    private OprfClient()
    {
    }

    /**
     * An input with its blind and blinded element: keep it until the evaluation comes back.
     *
     * @param input          the PRF input (the E.164 number as UTF-8 for discovery).
     * @param blind          the secret scalar; never sent.
     * @param blindedElement {@code blind * HashToGroup(input)}, serialized: what is sent.
     */
    public record Blinded(byte[] input, BigInteger blind, byte[] blindedElement)
    {
    }

    /**
     * Blind with a fresh random scalar.
     *
     * @param random a cryptographically strong source.
     */
    public static Blinded blind(final byte[] input, final SecureRandom random)
    {
        return blind(input, BigIntegers.createRandomInRange(BigInteger.ONE, HashToCurve.ORDER.subtract(BigInteger.ONE),
            random));
    }

    /**
     * Blind with a given scalar: for test vectors; use {@link #blind(byte[], SecureRandom)} otherwise.
     *
     * @param blind in {@code [1, n)}.
     */
    public static Blinded blind(final byte[] input, final BigInteger blind)
    {
        Oprf.checkInput(input);
        if (blind.signum() <= 0 || blind.compareTo(HashToCurve.ORDER) >= 0)
        {
            throw new IllegalArgumentException("a blind is in [1, n)");
        }
        final ECPoint inputElement = Oprf.hashToGroup(input);
        if (inputElement.isInfinity())
        {
            throw new IllegalArgumentException("InvalidInputError");
        }
        return new Blinded(input, blind, Oprf.serializeElement(inputElement.multiply(blind).normalize()));
    }

    /**
     * RFC 9497's Finalize: unblinds the evaluated element and hashes it with the input.
     *
     * @param blinded          what {@link #blind} returned for this input.
     * @param evaluatedElement the server's answer for it.
     * @return the 32-byte PRF output.
     * @throws IllegalArgumentException when the evaluated element is not a valid element.
     */
    public static byte[] finalizeOutput(final Blinded blinded, final byte[] evaluatedElement)
    {
        final ECPoint evaluated = Oprf.deserializeElement(evaluatedElement);
        final BigInteger inverse = blinded.blind().modInverse(HashToCurve.ORDER);
        final byte[] unblinded = Oprf.serializeElement(evaluated.multiply(inverse).normalize());
        return Oprf.finalizeHash(blinded.input(), unblinded);
    }
}
