package io.xin.loadgen;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.xin.loadgen.rate.OpenLoopSchedule;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Ledger;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code xin loadgen offline}: half the users stay offline while the other half fill their inboxes;
 * then the offline half comes online at once and the sync is timed until every stored message arrived.
 */
@Command(name = "offline", mixinStandardHelpOptions = true,
    description = "Fill the inboxes of offline users, then bring them online and time the sync.")
final class OfflineCommand extends ScenarioCommand
{
    private static final int HEADER_BYTES = 16;

    @Option(names = "--messages-per-user", description = "Messages waiting in each offline user's inbox " +
        "(default: ${DEFAULT-VALUE}).")
    int messagesPerUser = 20;

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (fleet.size() < 2 || messagesPerUser < 1)
        {
            throw new IllegalArgumentException("offline needs --users >= 2 and --messages-per-user >= 1");
        }
        final int senders = fleet.size() / 2;
        final int receivers = fleet.size() - senders;
        final long total = (long)receivers * messagesPerUser;
        final long runId = ThreadLocalRandom.current().nextLong();
        final Ledger ledger = new Ledger();

        final long connectStartNs = System.nanoTime();
        final int failedSenders = fleet.connect(0, senders, CONNECT_TIMEOUT_MS);
        out.printf("logged in %,d senders in %,d ms; %,d receivers offline%n", senders - failedSenders,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectStartNs), receivers);
        if (failedSenders > 0)
        {
            return EXIT_FAILED;
        }

        final byte[] padding = new byte[Math.max(0, options.payloadBytes - HEADER_BYTES)];
        final long fillStartNs = System.nanoTime();
        final OpenLoopSchedule schedule = new OpenLoopSchedule(fillStartNs, options.rate, (long)(total * 1e9 / options.rate));
        for (long index = 0; index < total; index++)
        {
            final long intendedNs = schedule.intendedNs(index);
            final long waitNs = intendedNs - System.nanoTime();
            if (waitNs > 0)
            {
                LockSupport.parkNanos(waitNs);
            }
            final int recipient = senders + (int)(index % receivers);
            final int sender = (int)((index / receivers) % senders);
            final byte[] body = ByteBuffer.allocate(HEADER_BYTES + padding.length).putLong(runId).putLong(index)
                .put(padding).array();
            final long messageIndex = index;
            ledger.sent(index);
            measurements.sent.increment();
            fleet.session(sender).client().send(fleet.target().userId(recipient), runId + "-" + index,
                Content.newBuilder().setType(ContentType.CUSTOM).setBody(UnsafeByteOperations.unsafeWrap(body)).build())
                .whenComplete((ack, failure) ->
                {
                    if (failure != null)
                    {
                        measurements.failedSends.increment();
                    }
                    else if (ledger.acked(messageIndex))
                    {
                        measurements.acked.increment();
                        measurements.recordAck(System.nanoTime() - intendedNs);
                    }
                });
        }
        final long ackDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONNECT_TIMEOUT_MS);
        while (measurements.acked.sum() + measurements.failedSends.sum() < total && System.nanoTime() < ackDeadlineNs)
        {
            Thread.sleep(10);
        }
        final long fillNs = System.nanoTime() - fillStartNs;
        final long acked = measurements.acked.sum();
        out.printf("filled %,d inboxes with %,d acknowledged messages in %,d ms%n", receivers, acked,
            TimeUnit.NANOSECONDS.toMillis(fillNs));

        fleet.sink((session, message) ->
        {
            final ByteString body = message.getContent().getBody();
            if (message.getFromUserId() == session.userId() || body.size() < HEADER_BYTES)
            {
                return;
            }
            final ByteBuffer header = body.substring(0, HEADER_BYTES).asReadOnlyByteBuffer();
            if (header.getLong() != runId)
            {
                return;
            }
            if (ledger.delivered(header.getLong()) > 0)
            {
                measurements.duplicates.increment();
            }
            measurements.delivered.increment();
        });
        final long syncStartNs = System.nanoTime();
        final int failedReceivers = fleet.connect(senders, fleet.size(), CONNECT_TIMEOUT_MS);
        final long loggedInNs = System.nanoTime();
        final long syncDeadlineNs = syncStartNs + TimeUnit.MILLISECONDS.toNanos(CONNECT_TIMEOUT_MS);
        while (measurements.delivered.sum() - measurements.duplicates.sum() < acked && System.nanoTime() < syncDeadlineNs)
        {
            Thread.sleep(5);
        }
        final long syncNs = System.nanoTime() - syncStartNs;
        Thread.sleep(100);
        fleet.sink(Fleet.Sink.NONE);
        measurements.close();

        final Ledger.Tally tally = ledger.tally();
        summary.put("senders", senders)
            .put("receivers", receivers)
            .put("messages_per_user", messagesPerUser)
            .put("fill_ms", TimeUnit.NANOSECONDS.toMillis(fillNs))
            .put("fill_rate", acked / (fillNs / 1e9))
            .put("login_ms", TimeUnit.NANOSECONDS.toMillis(loggedInNs - syncStartNs))
            .put("sync_ms", TimeUnit.NANOSECONDS.toMillis(syncNs))
            .put("synced_rate", tally.delivered / (syncNs / 1e9))
            .put("sent", tally.sent)
            .put("acked", tally.acked)
            .put("delivered", tally.delivered)
            .put("lost", tally.lost)
            .put("duplicates", tally.duplicates)
            .put("failed_sends", measurements.failedSends.sum())
            .put("receiver_login_failures", failedReceivers)
            .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()));
        final boolean broken = tally.lost > 0 || tally.duplicates > 0;
        summary.put("result", broken ? "FAILED: acknowledged messages lost or duplicated" : "ok");
        return broken ? EXIT_BROKEN_PROMISE : failedReceivers > 0 ? EXIT_FAILED : 0;
    }
}
