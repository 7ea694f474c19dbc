package io.xin.core.session;

import io.xin.core.device.Placement;
import java.util.function.LongSupplier;

/**
 * The settings the session layer reads, as the embedding API's {@code XinSwitch.Context} holds them (which
 * implements this), so that sessions depend on their settings and not on the switch that embeds them. Each getter is
 * the setting of the same name: see {@code io.xin.core.Setting} for its meaning, unit and default. Read by any
 * thread once the context is concluded.
 */
public interface SessionSettings
{
    /** The wall clock in milliseconds, for the login answer's server time. */
    LongSupplier clock();

    int journalShards();

    int ringSize();

    // Login and liveness.

    int loginTimeoutMs();

    int heartbeatIntervalMs();

    int idleTimeoutMs();

    int parkIdleMs();

    // Cluster mode.

    /** Which node serves a user; null when this switch serves every user (a single node). */
    Placement placement();

    int movedRetryAfterMs();

    // Frames and sockets.

    int maxPreLoginFrameLengthBytes();

    int maxFrameLengthBytes();

    int writeBufferHighWaterMarkBytes();

    // Guards against abuse.

    int maxConnections();

    int maxConnectionsPerAddress();

    int maxNewConnectionsPerAddressPerSecond();

    int maxLoginFailuresPerAddressPerMinute();

    int maxLoginsPerDevicePerMinute();

    long deviceBanMs();

    int maxGuardRecords();

    // Sends and syncs of one session.

    int maxInFlightSendsPerSession();

    int maxSendsPerSecondPerSession();

    int sendBurstPerSession();

    int maxRateLimitedSendsPerSession();

    int busyRetryAfterMs();

    int maxSyncLimit();

    // Friends.

    /** Whether a user who never set its privacy takes messages and group adds from strangers. */
    default boolean strangersAllowedByDefault()
    {
        return false;
    }

    /** Most entries in one FRIEND_LIST answer. */
    int friendListPageEntries();
}
