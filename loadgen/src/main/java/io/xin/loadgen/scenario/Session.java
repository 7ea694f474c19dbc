package io.xin.loadgen.scenario;

import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;

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
    /** The client's last state: written where the client changes state, its event loop (or the thread closing it). */
    private XinClient.State state = XinClient.State.NEW;

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

    @Override
    public void onSendAck(final SendAck ack)
    {
        fleet.onSendAck(this, ack);
    }

    @Override
    public void onSendFailed(final String clientMsgId, final XinClientException failure)
    {
        fleet.onSendFailed(this, clientMsgId, failure);
    }

    @Override
    public void onGoAway(final GoAway goAway)
    {
        fleet.onGoAway(this, goAway);
    }

    @Override
    public void onStateChange(final XinClient.State state)
    {
        final XinClient.State before = this.state;
        this.state = state;
        if (before == XinClient.State.LOGGED_IN && state == XinClient.State.DISCONNECTED)
        {
            fleet.onConnectionLost(this);
        }
    }

    @Override
    public void onChannelPost(final Message post)
    {
        fleet.onChannelPost(this, post);
    }
}
