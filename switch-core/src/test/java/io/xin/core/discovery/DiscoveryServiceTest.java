package io.xin.core.discovery;

import com.google.protobuf.ByteString;
import io.xin.protocol.pb.DiscoveryMatch;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.DiscoveryResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.social.discovery.IndexedDiscoveryDirectory;
import io.xin.social.discovery.KeyRing;
import io.xin.social.discovery.MemoryRegistrations;
import io.xin.social.discovery.Oprf;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.OprfKey;
import io.xin.social.discovery.RegistrationProofs;
import io.xin.social.discovery.TokenBucket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The answers of the discovery service, called directly with a clock the test sets: what the discovery threads
 * compute, without sockets.
 */
final class DiscoveryServiceTest
{
    private static final long NOW_MS = 1_800_000_000_000L;
    private static final long T0 = 7 * TokenBucket.NANOS_PER_HOUR;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final OprfKey KEY_1 = OprfKey.derive(1, new byte[32]);
    private static final OprfKey KEY_2 = OprfKey.derive(2, new byte[32]);

    private DiscoveryService service;

    @AfterEach
    void tearDown()
    {
        if (service != null)
        {
            service.close();
        }
    }

    private DiscoveryService start(final KeyRing keys, final MemoryRegistrations registrations)
    {
        return start(keys, registrations, null);
    }

    private DiscoveryService start(
        final KeyRing keys, final MemoryRegistrations registrations, final RegistrationProofs proofs)
    {
        service = new DiscoveryService(keys, new IndexedDiscoveryDirectory(registrations, keys.servedIds()),
            new DiscoveryLimiter(40, 4, 30, 3), 10, 1, 100, () -> T0, proofs, () -> NOW_MS);
        return service;
    }

    @Test
    void shouldEvaluateWithTheCurrentKeyAndCountTokens()
    {
        start(new KeyRing(KEY_1, null), new MemoryRegistrations());
        final OprfClient.Blinded blinded = OprfClient.blind(number("+8613800138000"), RANDOM);
        final DiscoveryResult result = result(service.answer(1, "phone", request(DiscoveryOp.DISCOVERY_EVALUATE, 0,
            blinded.blindedElement()), T0));
        assertEquals(1, result.getKeyId());
        assertEquals(29, result.getTokensLeft(), "the device's 30 less one");
        assertArrayEquals(KEY_1.evaluate(number("+8613800138000")),
            OprfClient.finalizeOutput(blinded, result.getElements(0).toByteArray()));
    }

    @Test
    void shouldRefuseEvaluationsOverTheDeviceAndAccountBudgets()
    {
        start(new KeyRing(KEY_1, null), new MemoryRegistrations());
        final byte[][] ten = blinded(10);
        for (int i = 0; i < 3; i++)
        {
            result(service.answer(1, "phone", request(DiscoveryOp.DISCOVERY_EVALUATE, 0, ten), T0));
        }
        final Frame refused = service.answer(1, "phone", request(DiscoveryOp.DISCOVERY_EVALUATE, 0, ten), T0);
        assertEquals(ErrorCode.RATE_LIMITED, refused.getError().getCode());
        assertEquals(10 * 3_600_000 / 3, refused.getError().getRetryAfterMs(), "10 of the device's 3 an hour");
        assertEquals(false, refused.getError().getFatal());
        // Another device of the account: the account has 10 of its 40 left.
        result(service.answer(1, "tablet", request(DiscoveryOp.DISCOVERY_EVALUATE, 0, ten), T0));
        final Frame account = service.answer(1, "tablet", request(DiscoveryOp.DISCOVERY_EVALUATE, 0, ten), T0);
        assertEquals(ErrorCode.RATE_LIMITED, account.getError().getCode());
        assertEquals(10 * 3_600_000 / 4, account.getError().getRetryAfterMs(), "10 of the account's 4 an hour");
        assertEquals(2, service.rateLimited());
        assertEquals(40, service.elementsEvaluated());
        // Other accounts evaluate as before.
        result(service.answer(2, "phone", request(DiscoveryOp.DISCOVERY_EVALUATE, 0, ten), T0));
    }

    @Test
    void shouldMatchUnderTheCurrentAndPreviousKeysAndTellOfOlderOnes()
    {
        final MemoryRegistrations registrations = new MemoryRegistrations();
        start(new KeyRing(KEY_1, null), registrations);
        result(service.answer(5, "phone", request(DiscoveryOp.DISCOVERY_REGISTER, 1, tag(KEY_1, "+8613800000005")),
            T0));
        service.close();

        // Rotated: key 2 current, key 1 in its grace period.
        start(new KeyRing(KEY_2, KEY_1), registrations);
        final DiscoveryResult old = result(service.answer(9, "phone", request(DiscoveryOp.DISCOVERY_MATCH, 1,
            tag(KEY_1, "+8613800000009"), tag(KEY_1, "+8613800000005")), T0));
        assertEquals(List.of(DiscoveryMatch.newBuilder().setIndex(1).setUserId(5).build()), old.getMatchesList());
        assertEquals(1, old.getKeyId());
        assertEquals(ErrorCode.KEY_ROTATED, service.answer(9, "phone",
            request(DiscoveryOp.DISCOVERY_EVALUATE, 1, blinded(1)), T0).getError().getCode());
        assertEquals(ErrorCode.KEY_ROTATED, service.answer(5, "phone",
            request(DiscoveryOp.DISCOVERY_REGISTER, 1, tag(KEY_1, "+8613800000005")), T0).getError().getCode());
        assertEquals(ErrorCode.KEY_ROTATED, service.answer(9, "phone",
            request(DiscoveryOp.DISCOVERY_MATCH, 3, tag(KEY_1, "+8613800000005")), T0).getError().getCode());
        // Under the new key, user 5 is found once it registers again.
        assertEquals(0, result(service.answer(9, "phone",
            request(DiscoveryOp.DISCOVERY_MATCH, 2, tag(KEY_2, "+8613800000005")), T0)).getMatchesCount());
        result(service.answer(5, "phone", request(DiscoveryOp.DISCOVERY_REGISTER, 2, tag(KEY_2, "+8613800000005")),
            T0));
        assertEquals(5, result(service.answer(9, "phone",
            request(DiscoveryOp.DISCOVERY_MATCH, 2, tag(KEY_2, "+8613800000005")), T0)).getMatches(0).getUserId());
        // UNREGISTER removes both.
        result(service.answer(5, "phone", request(DiscoveryOp.DISCOVERY_UNREGISTER, 0), T0));
        assertEquals(0, registrations.count(1) + registrations.count(2));
    }

    @Test
    void shouldTakeARegistrationOnlyWithTheVerifyingServicesProofOfThatUsersNumber()
    {
        final byte[] secret = new byte[RegistrationProofs.SECRET_LENGTH];
        java.util.Arrays.fill(secret, (byte)9);
        final RegistrationProofs proofs = new RegistrationProofs(secret);
        final KeyRing keys = new KeyRing(KEY_1, null);
        final MemoryRegistrations registrations = new MemoryRegistrations();
        start(keys, registrations, proofs);
        final RegistrationProofs.Registration mine = proofs.issue(keys, 5, "+8613800000005", NOW_MS + 60_000);

        // Without a proof, with user 5's proof presented by user 6, and once the proof expired: refused.
        assertEquals(ErrorCode.NOT_ALLOWED, service.answer(5, "phone",
            request(DiscoveryOp.DISCOVERY_REGISTER, 1, mine.tag()), T0).getError().getCode());
        assertEquals(ErrorCode.NOT_ALLOWED, service.answer(6, "phone", request(DiscoveryOp.DISCOVERY_REGISTER, 1,
            mine.tag()).toBuilder().setProof(ByteString.copyFrom(mine.proof())).build(), T0).getError().getCode());
        assertEquals(2, service.registrationsRefused());
        assertEquals(0, registrations.count(1));

        result(service.answer(5, "phone", request(DiscoveryOp.DISCOVERY_REGISTER, 1, mine.tag()).toBuilder()
            .setProof(ByteString.copyFrom(mine.proof())).build(), T0));
        assertEquals(5, result(service.answer(9, "phone",
            request(DiscoveryOp.DISCOVERY_MATCH, 1, tag(KEY_1, "+8613800000005")), T0)).getMatches(0).getUserId());

        final RegistrationProofs.Registration stale = proofs.issue(keys, 7, "+8613800000007", NOW_MS);
        assertEquals(ErrorCode.NOT_ALLOWED, service.answer(7, "phone", request(DiscoveryOp.DISCOVERY_REGISTER, 1,
            stale.tag()).toBuilder().setProof(ByteString.copyFrom(stale.proof())).build(), T0).getError().getCode());
    }

    @Test
    void shouldRefuseBadShapesOnTheEventLoopAndBadPointsOnTheDiscoveryThread()
    {
        assertEquals("EVALUATE takes 1..10 elements", DiscoveryService.invalid(request(DiscoveryOp.DISCOVERY_EVALUATE,
            0), 10));
        assertEquals("EVALUATE takes 1..10 elements", DiscoveryService.invalid(request(DiscoveryOp.DISCOVERY_EVALUATE,
            0, blinded(11)), 10));
        assertEquals("an element is a 33-byte compressed point", DiscoveryService.invalid(
            request(DiscoveryOp.DISCOVERY_EVALUATE, 0, new byte[32]), 10));
        assertEquals("a tag is 16 bytes", DiscoveryService.invalid(request(DiscoveryOp.DISCOVERY_MATCH, 1,
            new byte[17]), 10));
        assertEquals("MATCH names the key id of its tags", DiscoveryService.invalid(
            request(DiscoveryOp.DISCOVERY_MATCH, 0, new byte[16]), 10));
        assertEquals("REGISTER takes one tag", DiscoveryService.invalid(request(DiscoveryOp.DISCOVERY_REGISTER, 1,
            new byte[16], new byte[16]), 10));
        assertEquals("UNREGISTER takes no elements", DiscoveryService.invalid(
            request(DiscoveryOp.DISCOVERY_UNREGISTER, 0, new byte[16]), 10));
        assertEquals("op must be EVALUATE, MATCH, REGISTER or UNREGISTER", DiscoveryService.invalid(
            DiscoveryRequest.newBuilder().setOpValue(9).build(), 10));
        assertEquals(null, DiscoveryService.invalid(request(DiscoveryOp.DISCOVERY_MATCH, 1, new byte[16]), 10));

        start(new KeyRing(KEY_1, null), new MemoryRegistrations());
        // x = 2^256 - 1 is past the field's prime: no point has it.
        final byte[] notAPoint = new byte[33];
        java.util.Arrays.fill(notAPoint, (byte)0xff);
        notAPoint[0] = 0x02;
        final Frame refused = service.answer(1, "phone", request(DiscoveryOp.DISCOVERY_EVALUATE, 0,
            blinded(1)[0], notAPoint), T0);
        assertEquals(ErrorCode.BAD_REQUEST, refused.getError().getCode());
        assertTrue(refused.getError().getMessage().startsWith("element 1"), refused.getError().getMessage());
    }

    private static DiscoveryResult result(final Frame frame)
    {
        assertEquals(Frame.BodyCase.DISCOVERY_RESULT, frame.getBodyCase(), frame.toString());
        return frame.getDiscoveryResult();
    }

    private static DiscoveryRequest request(final DiscoveryOp op, final int keyId, final byte[]... elements)
    {
        final DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder().setRequestId(3).setOp(op)
            .setKeyId(keyId);
        for (final byte[] element : elements)
        {
            request.addElements(ByteString.copyFrom(element));
        }
        return request.build();
    }

    private static byte[][] blinded(final int count)
    {
        final byte[][] elements = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            elements[i] = OprfClient.blind(number("+86138000000" + (10 + i)), RANDOM).blindedElement();
        }
        return elements;
    }

    private static byte[] tag(final OprfKey key, final String number)
    {
        return Oprf.tag(key.evaluate(number(number)));
    }

    private static byte[] number(final String number)
    {
        return number.getBytes(StandardCharsets.UTF_8);
    }
}
