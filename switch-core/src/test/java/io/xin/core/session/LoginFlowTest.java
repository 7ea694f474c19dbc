package io.xin.core.session;

import io.xin.core.auth.TokenIssuer;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.guard.AddressGuard;
import io.xin.core.guard.FlapGuard;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Login;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checks of a Login in protocol.md's order, with fake clocks (the token verifier's wall clock, and plain
 * nanosecond values for the guards) and no channel.
 */
class LoginFlowTest
{
    private static final String SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final long MS = 1_000_000;
    private static final long T0 = 77 * MS;

    private final SwitchStatus status = new SwitchStatus();
    private final SwitchCounters counters = new SwitchCounters();
    /** Two failed logins a minute per address. */
    private final AddressGuard addressGuard = new AddressGuard(100, 100, 0, 2, 100);
    /** Three logins a minute per device, then banned for 5 s. */
    private final FlapGuard flapGuard = new FlapGuard(3, 5_000, 100);
    private final LoginFlow flow = new LoginFlow(status,
        new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, NOW::toEpochMilli),
        addressGuard, flapGuard, counters);
    private final InetAddress client = InetAddress.getLoopbackAddress();

    private static Login login(final String token, final String deviceId)
    {
        return Login.newBuilder().setRequestId(1).setToken(token).setDeviceId(deviceId).build();
    }

    private static String token(final long userId)
    {
        return new TokenIssuer(SECRET).issue(userId, NOW, Duration.ofMinutes(5));
    }

    @Test
    void shouldAdmitAValidLogin()
    {
        final LoginFlow.Verdict verdict = flow.check(login(token(42), "phone"), client, T0);
        assertTrue(verdict.admitted());
        assertEquals(42, verdict.userId());
        assertNull(verdict.code());
    }

    @Test
    void shouldCheckDeviceIdThenDrainingThenStorageThenToken()
    {
        status.storageFailed(new RuntimeException("disk"));
        status.startDraining();
        assertEquals(ErrorCode.BAD_REQUEST, flow.check(login("not a token", ""), client, T0).code());
        assertEquals(ErrorCode.BAD_REQUEST, flow.check(login("not a token", "d".repeat(65)), client, T0).code());
        assertEquals(ErrorCode.SHUTTING_DOWN, flow.check(login("not a token", "phone"), client, T0).code());
        final SwitchStatus storageOnly = new SwitchStatus();
        storageOnly.storageFailed(new RuntimeException("disk"));
        final LoginFlow failedStorage = new LoginFlow(storageOnly,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, NOW::toEpochMilli),
            addressGuard, flapGuard, counters);
        assertEquals(ErrorCode.STORAGE_FAILURE, failedStorage.check(login("not a token", "phone"), client, T0).code());
        assertEquals(0, addressGuard.trackedAddresses(), "no token was looked at, no failure counted");
    }

    @Test
    void shouldCountARefusedTokenAgainstTheAddress()
    {
        assertEquals(ErrorCode.AUTH_FAILED, flow.check(login("not a token", "phone"), client, T0).code());
        // An address the guard does not count (not admitted by it) is not charged.
        assertEquals(ErrorCode.AUTH_FAILED, flow.check(login("", "phone"), null, T0).code());
        assertEquals(null, addressGuard.onConnect(client, T0), "one failure is within the limit");
        addressGuard.onDisconnect(client);
        assertEquals(ErrorCode.AUTH_FAILED, flow.check(login("x.y.z", "phone"), client, T0 + MS).code());
        assertEquals(AddressGuard.Refusal.TOO_MANY_FAILED_LOGINS, addressGuard.onConnect(client, T0 + 2 * MS));
    }

    @Test
    void shouldBanAFlappingDeviceThenAdmitItOnceTheBanIsOver()
    {
        for (int i = 0; i < 3; i++)
        {
            assertTrue(flow.check(login(token(42), "phone"), client, T0 + i * MS).admitted());
        }
        final LoginFlow.Verdict banned = flow.check(login(token(42), "phone"), client, T0 + 3 * MS);
        assertFalse(banned.admitted());
        assertEquals(ErrorCode.TOO_MANY_LOGINS, banned.code());
        assertEquals(5_001, banned.retryAfterMs(), "the ban, rounded up");
        assertEquals(1, counters.loginsBanned.sum());
        assertTrue(flow.check(login(token(42), "tablet"), client, T0 + 3 * MS).admitted(), "another device is not banned");
        assertEquals(ErrorCode.TOO_MANY_LOGINS, flow.check(login(token(42), "phone"), client, T0 + 5_002 * MS).code());
        assertTrue(flow.check(login(token(42), "phone"), client, T0 + 65_000 * MS).admitted());
    }

    @Test
    void shouldRedirectAUserServedElsewhereAfterTheTokenAndBeforeTheDeviceRate()
    {
        final LoginFlow cluster = new LoginFlow(status,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, NOW::toEpochMilli),
            addressGuard, flapGuard, counters,
            userId -> userId == 42 ? "node-2.example:7800" : userId == 43 ? "" : null, 500);
        assertEquals(ErrorCode.AUTH_FAILED, cluster.check(login("not a token", "phone"), client, T0).code(),
            "the token first: a redirect names a node only to a valid token's holder");
        for (int i = 0; i < 5; i++)
        {
            final LoginFlow.Verdict moved = cluster.check(login(token(42), "phone"), client, T0 + i * MS);
            assertTrue(moved.moved());
            assertFalse(moved.admitted());
            assertEquals("node-2.example:7800", moved.address());
            assertEquals(0, moved.retryAfterMs());
        }
        final LoginFlow.Verdict unknown = cluster.check(login(token(43), "phone"), client, T0);
        assertEquals(ErrorCode.MOVED, unknown.code());
        assertEquals("", unknown.address());
        assertEquals(500, unknown.retryAfterMs());
        assertEquals(0, counters.loginsBanned.sum(), "redirects are not logins of the device");
        assertTrue(cluster.check(login(token(44), "phone"), client, T0).admitted(), "served here");
    }
}
