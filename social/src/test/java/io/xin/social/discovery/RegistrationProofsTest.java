package io.xin.social.discovery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class RegistrationProofsTest
{
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long USER = 42;
    private static final String NUMBER = "+8613800138000";

    private final KeyRing keys = KeyRing.parse(KeyRing.newFile(3, new SecureRandom()));
    private final RegistrationProofs proofs = new RegistrationProofs(secret(1));

    @Test
    void shouldIssueTheTagAClientGetsObliviouslyWithAProofOfIt()
    {
        final RegistrationProofs.Registration registration = proofs.issue(keys, USER, NUMBER, NOW_MS + 60_000);
        assertEquals(3, registration.keyId());

        final OprfClient.Blinded blinded = OprfClient.blind(NUMBER.getBytes(StandardCharsets.UTF_8),
            new SecureRandom());
        final byte[] clientTag = Oprf.tag(OprfClient.finalizeOutput(blinded,
            keys.current().blindEvaluate(blinded.blindedElement())));
        assertArrayEquals(clientTag, registration.tag(), "the service's tag is the one every client computes");
        assertTrue(proofs.verify(USER, 3, registration.tag(), registration.proof(), NOW_MS));
    }

    @Test
    void shouldRefuseAProofForAnythingElse()
    {
        final byte[] tag = tag(7);
        final byte[] proof = proofs.sign(USER, 3, tag, NOW_MS + 60_000);
        assertEquals(RegistrationProofs.PROOF_LENGTH, proof.length);
        assertTrue(proofs.verify(USER, 3, tag, proof, NOW_MS));

        assertFalse(proofs.verify(USER + 1, 3, tag, proof, NOW_MS), "another user");
        assertFalse(proofs.verify(USER, 4, tag, proof, NOW_MS), "another key");
        assertFalse(proofs.verify(USER, 3, tag(8), proof, NOW_MS), "another tag");
        assertFalse(proofs.verify(USER, 3, tag, proof, NOW_MS + 60_000), "expired");
        assertFalse(new RegistrationProofs(secret(2)).verify(USER, 3, tag, proof, NOW_MS), "another secret");
        final byte[] later = proof.clone();
        later[7]++;
        assertFalse(proofs.verify(USER, 3, tag, later, NOW_MS), "an expiry moved on");
        final byte[] forged = proof.clone();
        forged[20] ^= 1;
        assertFalse(proofs.verify(USER, 3, tag, forged, NOW_MS), "a changed MAC");
        assertFalse(proofs.verify(USER, 3, tag, Arrays.copyOf(proof, 39), NOW_MS), "cut short");
        assertFalse(proofs.verify(USER, 3, tag, null, NOW_MS), "none");
    }

    @Test
    void shouldReadTheSecretFileAndRefuseABadOne(@TempDir final Path dir) throws Exception
    {
        final Path file = Files.writeString(dir.resolve("registration.key"), RegistrationProofs.newFile(
            new SecureRandom()));
        final RegistrationProofs loaded = RegistrationProofs.load(file);
        final byte[] proof = loaded.sign(USER, 3, tag(1), NOW_MS + 1);
        assertTrue(RegistrationProofs.load(file).verify(USER, 3, tag(1), proof, NOW_MS));

        Files.writeString(file, "# nothing\n");
        assertEquals("no secret in the file",
            assertThrows(IllegalArgumentException.class, () -> RegistrationProofs.load(file)).getMessage());
        Files.writeString(file, "abc\n");
        assertEquals("the secret is 64 hex digits",
            assertThrows(IllegalArgumentException.class, () -> RegistrationProofs.load(file)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RegistrationProofs(new byte[16]));
        assertThrows(IllegalArgumentException.class, () -> proofs.sign(USER, 3, new byte[15], NOW_MS));
    }

    private static byte[] secret(final int fill)
    {
        final byte[] secret = new byte[RegistrationProofs.SECRET_LENGTH];
        Arrays.fill(secret, (byte)fill);
        return secret;
    }

    private static byte[] tag(final int fill)
    {
        final byte[] tag = new byte[Oprf.TAG_LENGTH];
        Arrays.fill(tag, (byte)fill);
        return tag;
    }
}
