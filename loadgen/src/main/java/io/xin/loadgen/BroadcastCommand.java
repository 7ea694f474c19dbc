package io.xin.loadgen;

import io.xin.core.XinSwitch;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Session;
import io.xin.loadgen.scenario.Target;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelResult;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Message;
import com.google.protobuf.ByteString;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code xin loadgen broadcast}: one channel with F followers, most of them offline, and a steady 1:1
 * chat in the background. Measures the chat's latency alone, then again while a post goes to all F
 * followers, the time until every online follower has the post, and what the post cost in storage.
 */
@Command(name = "broadcast", mixinStandardHelpOptions = true,
    description = "A channel with F followers (imported by its owner; --online-followers of them log in) and U " +
        "users chatting 1:1 at rate R. Runs the chat alone, then again while one post goes to the F followers; " +
        "reports both chat latencies and their ratio, the time until every online follower has the post, and the " +
        "journal bytes and store growth of one post (with --start EMBEDDED).")
final class BroadcastCommand extends ScenarioCommand
{
    @Option(names = "--followers", description = "Followers of the channel, 1..10,000,000 (default: ${DEFAULT-VALUE}).")
    int followers = 200_000;

    @Option(names = "--online-followers", description = "Followers that log in and get the post pushed; the rest " +
        "are offline and would read it at sync (default: ${DEFAULT-VALUE}).")
    int onlineFollowers = 1_000;

    @Option(names = "--post-at", description = "Seconds into the measured chat when the post is made " +
        "(default: ${DEFAULT-VALUE}).")
    double postAtS = 2;

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (followers < 1 || onlineFollowers < 0 || onlineFollowers > followers || postAtS < 0 ||
            postAtS >= options.durationS)
        {
            throw new IllegalArgumentException("need 1 <= --followers, 0 <= --online-followers <= --followers, and " +
                "0 <= --post-at < --duration");
        }
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }
        final Target chat = fleet.target();
        // The publisher is the user after the chat users; followers come after it.
        final long publisherId = chat.userId(fleet.size());
        final Target audience = new Target(chat.host(), chat.port(), chat.sslContext(), options.jwtSecret,
            publisherId, followerAddresses(chat.sourceAddresses().size(), 1 + onlineFollowers));
        try (Fleet followerFleet = new Fleet(audience, 1 + onlineFollowers, options.ioThreads))
        {
            if (followerFleet.connect(0, 1, CONNECT_TIMEOUT_MS) != 0)
            {
                return EXIT_FAILED;
            }
            final Session publisher = followerFleet.session(0);
            final long channelId = publisher.client().createChannel("loadgen broadcast").get(30, TimeUnit.SECONDS)
                .getChannelId();
            final long seedStartNs = System.nanoTime();
            importFollowers(publisher, channelId, publisherId + 1, followers);
            final long seedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - seedStartNs);
            out.printf("channel %d: %,d followers imported in %,d ms%n", channelId, followers, seedMs);
            final int failed = onlineFollowers == 0 ? 0 : followerFleet.connect(1, 1 + onlineFollowers, CONNECT_TIMEOUT_MS);
            out.printf("%,d online followers logged in (%,d failed)%n", onlineFollowers - failed, failed);

            final Arrivals arrivals = new Arrivals();
            followerFleet.postSink(arrivals);

            // One post with nothing else going on: what it costs to store, and how long its pushes take.
            final XinSwitch embedded = process.embedded();
            Thread.sleep(500);
            final long bytesBefore = embedded == null ? -1 : embedded.counters().journalBytesWritten.sum();
            final long storeBefore = embedded == null ? -1 : embedded.store().sizeBytes();
            final long quietPushMs = post(publisher, channelId, 1, arrivals, onlineFollowers - failed);
            final long postJournalBytes = embedded == null ? -1 :
                embedded.counters().journalBytesWritten.sum() - bytesBefore;
            final long storeGrowthBytes = embedded == null ? -1 : embedded.store().sizeBytes() - storeBefore;
            out.printf("post 1 (quiet): journal bytes %,d, store growth %,d bytes, every online follower had it " +
                "after %,d ms%n", postJournalBytes, storeGrowthBytes, quietPushMs);

            // The chat alone before and after the broadcast run, so a change in the machine's load over the
            // run weighs on both sides of the ratio.
            final ChatRun.Settings settings = ChatCommand.chatSettings(options, serverPid);
            final Measurements alone = new Measurements("broadcast-chat-alone", () -> "chat alone");
            final Measurements aloneAfter = new Measurements("broadcast-chat-alone-after", () -> "chat alone");
            final ChatRun.Outcome aloneOutcome = runChat(fleet, settings, alone);

            settings.seed = options.seed + 1;
            final AtomicLong pushMs = new AtomicLong(-1);
            final Thread poster = new Thread(() ->
            {
                try
                {
                    Thread.sleep((long)((options.warmupS + postAtS) * 1_000));
                    pushMs.set(post(publisher, channelId, 2, arrivals, onlineFollowers - failed));
                }
                catch (final Exception ex)
                {
                    pushMs.set(-2);
                }
            }, "loadgen-broadcast-poster");
            poster.start();
            final ChatRun.Outcome duringOutcome = new ChatRun(fleet, settings, measurements).run();
            poster.join(TimeUnit.SECONDS.toMillis(60));
            settings.seed = options.seed + 2;
            final ChatRun.Outcome afterOutcome = runChat(fleet, settings, aloneAfter);
            aloneOutcome.tally.lost += afterOutcome.tally.lost;
            aloneOutcome.tally.duplicates += afterOutcome.tally.duplicates;
            aloneOutcome.tally.sent += afterOutcome.tally.sent;

            final Histogram aloneUs = alone.deliverLatencyUs().copy();
            aloneUs.add(aloneAfter.deliverLatencyUs());
            final Histogram aloneAckUs = alone.ackLatencyUs().copy();
            aloneAckUs.add(aloneAfter.ackLatencyUs());
            final Histogram duringUs = measurements.deliverLatencyUs();
            final long p99Alone = aloneUs.getValueAtPercentile(99);
            final long p99During = duringUs.getValueAtPercentile(99);
            summary.put("followers", followers)
                .put("online_followers", onlineFollowers - failed)
                .put("seed_followers_ms", seedMs)
                .put("rate", options.rate)
                .put("post_journal_bytes", postJournalBytes)
                .put("post_store_growth_bytes", storeGrowthBytes)
                .put("push_all_online_ms_quiet", quietPushMs)
                .put("push_all_online_ms_during_chat", pushMs.get())
                .put("chat_alone_deliver_latency_us", Summary.latency(aloneUs))
                .put("chat_alone_before_deliver_latency_us", Summary.latency(alone.deliverLatencyUs()))
                .put("chat_alone_after_deliver_latency_us", Summary.latency(aloneAfter.deliverLatencyUs()))
                .put("chat_alone_ack_latency_us", Summary.latency(aloneAckUs))
                .put("deliver_latency_us", Summary.latency(duringUs))
                .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()))
                .put("p99_ratio_during_vs_alone", p99Alone == 0 ? 0 : (double)p99During / p99Alone)
                .put("sent", aloneOutcome.tally.sent + duringOutcome.tally.sent)
                .put("lost", aloneOutcome.tally.lost + duringOutcome.tally.lost)
                .put("duplicates", aloneOutcome.tally.duplicates + duringOutcome.tally.duplicates)
                .put("late_post_copies", arrivals.duplicates.sum());
            out.printf("1:1 deliver p99: alone %,d us, during the broadcast %,d us (ratio %.2f); post 2 reached every " +
                "online follower after %,d ms%n", p99Alone, p99During, p99Alone == 0 ? 0 : (double)p99During / p99Alone,
                pushMs.get());
            final boolean broken = aloneOutcome.tally.lost + duringOutcome.tally.lost > 0 ||
                aloneOutcome.tally.duplicates + duringOutcome.tally.duplicates > 0;
            summary.put("result", broken ? "FAILED: acknowledged messages lost or duplicated" : "ok");
            return broken ? EXIT_BROKEN_PROMISE : 0;
        }
    }

    private static ChatRun.Outcome runChat(final Fleet fleet, final ChatRun.Settings settings, final Measurements into)
        throws InterruptedException
    {
        try
        {
            return new ChatRun(fleet, settings, into).run();
        }
        finally
        {
            into.close();
        }
    }

    /**
     * Loopback source addresses for the followers, after the chat's: one per 500 sessions, as the chat's,
     * so that they stay within the switch's per-address connection limits.
     */
    private static java.util.List<java.net.InetAddress> followerAddresses(final int offset, final int sessions)
        throws java.net.UnknownHostException
    {
        final java.util.List<java.net.InetAddress> addresses = new java.util.ArrayList<>();
        final int count = (sessions + LoadOptions.SESSIONS_PER_SOURCE_ADDRESS - 1) / LoadOptions.SESSIONS_PER_SOURCE_ADDRESS;
        for (int i = Math.max(1, offset); i < Math.max(1, offset) + count; i++)
        {
            addresses.add(java.net.InetAddress.getByAddress(new byte[]{ 127, 0, (byte)(i / 254), (byte)(i % 254 + 1) }));
        }
        return addresses;
    }

    /** The owner imports followers in pages: one journal event per page, as an operator's migration would. */
    private static void importFollowers(final Session publisher, final long channelId, final long firstId, final int count)
        throws Exception
    {
        final int page = ProtocolLimits.MAX_USER_IDS_PER_OP;
        for (int from = 0; from < count; from += page)
        {
            final long[] ids = new long[Math.min(page, count - from)];
            for (int i = 0; i < ids.length; i++)
            {
                ids[i] = firstId + from + i;
            }
            publisher.client().channel(ChannelOpType.CHANNEL_IMPORT_FOLLOWERS, channelId, ids).get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * Posts and waits until every online follower has post {@code seq}.
     *
     * @return milliseconds from the post until the last online follower had it, -1 if not within 60 s.
     */
    private static long post(
        final Session publisher, final long channelId, final long seq, final Arrivals arrivals, final int online)
        throws Exception
    {
        arrivals.expect(seq);
        final long startNs = System.nanoTime();
        final ChannelResult result = publisher.client().post(channelId, "broadcast-" + seq + "-" + startNs,
            Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8("broadcast " + seq)).build())
            .get(30, TimeUnit.SECONDS);
        if (result.getSeq() != seq)
        {
            throw new IllegalStateException("expected post seq " + seq + ", got " + result.getSeq());
        }
        final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(60);
        while (arrivals.count.sum() < online && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(1);
        }
        return arrivals.count.sum() < online ? -1 : TimeUnit.NANOSECONDS.toMillis(arrivals.lastNs.get() - startNs);
    }

    /** Counts the online followers that got the post being measured, and when the last one did. */
    private static final class Arrivals implements Fleet.Sink
    {
        final LongAdder count = new LongAdder();
        final LongAdder duplicates = new LongAdder();
        final AtomicLong lastNs = new AtomicLong();
        private volatile long seq;

        void expect(final long seq)
        {
            count.reset();
            this.seq = seq;
        }

        @Override
        public void onMessage(final Session session, final Message post)
        {
            if (post.getSeq() == seq)
            {
                count.increment();
                lastNs.accumulateAndGet(System.nanoTime(), Math::max);
            }
            else if (post.getSeq() < seq)
            {
                duplicates.increment();
            }
        }
    }
}
