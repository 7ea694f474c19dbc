package io.xin.client;

import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Queues every callback for the test thread to take, and records which thread made it.
 */
final class RecordingListener implements XinClient.Listener
{
    final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<LoginOk> logins = new LinkedBlockingQueue<>();
    final BlockingQueue<XinClient.State> states = new LinkedBlockingQueue<>();
    final BlockingQueue<String> kicks = new LinkedBlockingQueue<>();
    final BlockingQueue<GoAway> goAways = new LinkedBlockingQueue<>();
    final BlockingQueue<io.xin.protocol.pb.Error> errors = new LinkedBlockingQueue<>();
    final BlockingQueue<SendAck> sendAcks = new LinkedBlockingQueue<>();
    final BlockingQueue<XinClientException> sendFailures = new LinkedBlockingQueue<>();
    final BlockingQueue<String> failedClientMsgIds = new LinkedBlockingQueue<>();
    final List<String> callbackThreads = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onMessage(final Message message)
    {
        record();
        messages.add(message);
    }

    @Override
    public void onLogin(final LoginOk ok)
    {
        record();
        logins.add(ok);
    }

    @Override
    public void onStateChange(final XinClient.State state)
    {
        record();
        states.add(state);
    }

    @Override
    public void onKicked(final String reason)
    {
        record();
        kicks.add(reason);
    }

    @Override
    public void onGoAway(final GoAway goAway)
    {
        record();
        goAways.add(goAway);
    }

    @Override
    public void onError(final io.xin.protocol.pb.Error error)
    {
        record();
        errors.add(error);
    }

    @Override
    public void onSendAck(final SendAck ack)
    {
        record();
        sendAcks.add(ack);
    }

    @Override
    public void onSendFailed(final String clientMsgId, final XinClientException failure)
    {
        record();
        failedClientMsgIds.add(clientMsgId);
        sendFailures.add(failure);
    }

    static <T> T take(final BlockingQueue<T> queue) throws InterruptedException
    {
        final T value = queue.poll(FakeServer.WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(value, "nothing within " + FakeServer.WAIT_MS + " ms");
        return value;
    }

    /**
     * Take states until {@code expected} is seen.
     */
    void awaitState(final XinClient.State expected) throws InterruptedException
    {
        XinClient.State state;
        do
        {
            state = take(states);
        }
        while (state != expected);
    }

    /**
     * The seqs of the next {@code count} messages.
     */
    List<Long> takeSeqs(final int count) throws InterruptedException
    {
        final List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            seqs.add(take(messages).getSeq());
        }
        return seqs;
    }

    private void record()
    {
        callbackThreads.add(Thread.currentThread().getName());
    }
}
