package io.xin.core.session;

import io.xin.core.auth.AuthException;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.device.Placement;
import io.xin.core.guard.AddressGuard;
import io.xin.core.guard.FlapGuard;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Login;

import java.net.InetAddress;

/**
 * The checks of a {@code Login}, in the order docs/protocol.md gives ("Sequences &gt; Login"): the device id,
 * draining, storage, the token (a refused one counts against the address's failed logins), in cluster mode the
 * node that serves the user (a {@link Placement}), the device's login rate. The last step, a free ring slot for the
 * login, is the publisher's. One per switch, without state of its own (the guards it asks keep theirs,
 * thread-safe); time is the caller's {@code nowNs}, read once per frame from
 * the switch's {@link org.agrona.concurrent.NanoClock}.
 */
final class LoginFlow
{
    /**
     * What the checks of one Login found: the user id, or the {@code LoginError} to answer with.
     *
     * @param userId       the token's user when admitted.
     * @param code         null when admitted, else the {@code LoginError} code; {@code MOVED} is answered as a
     *                     fatal {@code Error} instead (it carries the address).
     * @param message      the error's message; null when admitted.
     * @param retryAfterMs the error's {@code retry_after_ms}, 0 when none.
     * @param address      for {@code MOVED}: the node that serves the user, "host:port", or "" when none is known;
     *                     null otherwise.
     */
    record Verdict(long userId, ErrorCode code, String message, int retryAfterMs, String address)
    {
        boolean admitted()
        {
            return code == null;
        }

        boolean moved()
        {
            return code == ErrorCode.MOVED;
        }

        static Verdict refused(final ErrorCode code, final String message, final int retryAfterMs)
        {
            return new Verdict(0, code, message, retryAfterMs, null);
        }
    }

    private final SwitchStatus status;
    private final TokenVerifier tokenVerifier;
    private final AddressGuard addressGuard;
    private final FlapGuard flapGuard;
    private final SwitchCounters counters;
    /** Cluster mode's: which node serves a user; null when this switch serves every user. */
    private final Placement placement;
    private final int movedRetryAfterMs;

    /** The checks of a single node, which serves every user. */
    LoginFlow(
        final SwitchStatus status,
        final TokenVerifier tokenVerifier,
        final AddressGuard addressGuard,
        final FlapGuard flapGuard,
        final SwitchCounters counters)
    {
        this(status, tokenVerifier, addressGuard, flapGuard, counters, null, 0);
    }

    /**
     * @param placement         which node serves a user; null when this switch serves every user.
     * @param movedRetryAfterMs {@code retry_after_ms} of a {@code MOVED} that names no node.
     */
    LoginFlow(
        final SwitchStatus status,
        final TokenVerifier tokenVerifier,
        final AddressGuard addressGuard,
        final FlapGuard flapGuard,
        final SwitchCounters counters,
        final Placement placement,
        final int movedRetryAfterMs)
    {
        this.status = status;
        this.tokenVerifier = tokenVerifier;
        this.addressGuard = addressGuard;
        this.flapGuard = flapGuard;
        this.counters = counters;
        this.placement = placement;
        this.movedRetryAfterMs = movedRetryAfterMs;
    }

    /**
     * Runs the checks on {@code login}.
     *
     * @param address the client's address the address guard admitted, or null when it does not count it.
     * @param nowNs   the time of the frame.
     */
    Verdict check(final Login login, final InetAddress address, final long nowNs)
    {
        final int deviceIdBytes = login.getDeviceIdBytes().size();
        if (deviceIdBytes == 0 || deviceIdBytes > ProtocolLimits.MAX_ID_LENGTH_BYTES)
        {
            return Verdict.refused(ErrorCode.BAD_REQUEST,
                "device_id must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES + " bytes", 0);
        }
        if (status.isDraining())
        {
            return Verdict.refused(ErrorCode.SHUTTING_DOWN, "server draining; reconnect with backoff", 0);
        }
        if (status.isStorageFailed())
        {
            return Verdict.refused(ErrorCode.STORAGE_FAILURE, "storage failed on this switch; retry with backoff", 0);
        }
        final long userId;
        try
        {
            userId = tokenVerifier.verify(login.getToken());
        }
        catch (final AuthException ex)
        {
            if (address != null)
            {
                addressGuard.onLoginFailed(address, nowNs);
            }
            return Verdict.refused(ex.code(), ex.getMessage(), 0);
        }
        if (placement != null)
        {
            // Before the device's login rate: a redirect is not a session here, and a device bounced between
            // nodes while its partition moves must not be banned for it.
            final String servedBy = placement.redirectFor(userId);
            if (servedBy != null)
            {
                return new Verdict(userId, ErrorCode.MOVED, servedBy.isEmpty() ? "no node serves this user yet" :
                    "this user is served by " + servedBy, servedBy.isEmpty() ? movedRetryAfterMs : 0, servedBy);
            }
        }
        final long bannedForMs = flapGuard.onLogin(userId, login.getDeviceId(), nowNs);
        if (bannedForMs > 0)
        {
            counters.loginsBanned.increment();
            return Verdict.refused(ErrorCode.TOO_MANY_LOGINS, "this device logs in too often; retry after " +
                bannedForMs + " ms", (int)Math.min(Integer.MAX_VALUE, bannedForMs));
        }
        return new Verdict(userId, null, null, 0, null);
    }
}
