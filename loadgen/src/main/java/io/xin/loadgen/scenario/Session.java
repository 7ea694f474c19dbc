package io.xin.loadgen.scenario;

import io.xin.client.XinClient;
import io.xin.protocol.pb.Message;
import org.agrona.collections.Long2LongHashMap;

/**
 * One user's session in the {@link Fleet}: the SDK client and the little a scenario keeps per user.
 */
public final class Session implements XinClient.Listener
{
    private final Fleet fleet;
    final int userIndex;
    final long userId;
    final String deviceId;
    XinClient client;

    /** Message number last delivered from each sender, to find gaps in per-pair order. Owned by the session's event loop. */
    final Long2LongHashMap lastFromSender = new Long2LongHashMap(-1);
    /** Messages from others this session received. Written by the session's event loop. */
    volatile long received;

    Session(final Fleet fleet, final int userIndex, final long userId, final String deviceId)
    {
        this.fleet = fleet;
        this.userIndex = userIndex;
        this.userId = userId;
        this.deviceId = deviceId;
    }

    public XinClient client()
    {
        return client;
    }

    public long userId()
    {
        return userId;
    }

    public int userIndex()
    {
        return userIndex;
    }

    @Override
    public void onMessage(final Message message)
    {
        fleet.onMessage(this, message);
    }
}
