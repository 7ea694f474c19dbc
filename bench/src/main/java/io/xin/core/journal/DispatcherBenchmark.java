package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.bench.AllocationPerOperation;
import io.xin.core.XinSwitch;
import io.xin.core.device.Session;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.session.SessionContext;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.server.daemon.LeakDetection;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.Message;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The dispatcher's work for one stored 1:1 message: the sender's {@code SendAck} and the {@code Deliver}
 * to the recipient's online device, each written to its channel and flushed at the end of the batch.
 * The channels are {@link EmbeddedChannel}s: with {@code pipeline=none} they keep what the dispatcher writes
 * (the dispatcher alone), with {@code pipeline=encoder} the switch's {@link FrameEncoder} is in the pipeline
 * (dispatch and encode; the dispatcher now writes both frames already encoded, so the encoder passes them on). Run with {@code -prof gc} for bytes per message.
 * <p>
 * {@link #pushOneToOne} runs on JMH's thread, a plain {@link Thread}; {@link #pushOneToOneOnNettyThread} runs the same
 * work on a Netty thread ({@code FastThreadLocalThread}), as the switch does: its ring threads and event loops are
 * Netty threads, and Netty's {@code Recycler} pools objects (the channel's outbound entries among them) only on
 * those; elsewhere it makes a new one every time. That variant also prints what the Netty thread itself allocated
 * per message. Netty's leak detector is off, as {@code xin server} has it unless a level is given
 * ({@code -jvmArgsAppend -Dio.netty.leakDetection.level=simple} for Netty's default: a tracked buffer in 128,
 * each with its stack traces, about 24 bytes a message here).
 * (In the journal's package: the ring event's fields are package-private.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DispatcherBenchmark
{
    private static final long SENDER = 1;
    private static final long RECIPIENT = 2;
    /** Pushes per task handed to the Netty thread, so that the hand-over's own objects count for little. */
    private static final int PUSHES_PER_TASK = 1_000;

    @Param({"none", "encoder"})
    String pipeline;

    @Param({"32"})
    int payloadBytes;

    private EmbeddedChannel senderChannel;
    private EmbeddedChannel recipientChannel;
    private Session sender;
    private Dispatcher dispatcher;
    private final SwitchEvent event = new SwitchEvent();
    private Message message;
    private byte[] stored;
    private final byte[] clientMsgIdBytes = "c-0000000001".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private long sequence;

    @Setup(Level.Trial)
    public void setup()
    {
        LeakDetection.disableUnlessSet();
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret("dispatcher-benchmark-secret-of-32-bytes");
        final SwitchCounters counters = new SwitchCounters();
        final SessionContext sessions = new SessionContext(settings, null, (com.lmax.disruptor.RingBuffer<SwitchEvent>)null, null, new SwitchStatus(), counters);
        dispatcher = new Dispatcher(sessions, counters);
        senderChannel = "encoder".equals(pipeline) ? new EmbeddedChannel(FrameEncoder.INSTANCE) : new EmbeddedChannel();
        recipientChannel = "encoder".equals(pipeline) ? new EmbeddedChannel(FrameEncoder.INSTANCE) : new EmbeddedChannel();
        sender = new Session(senderChannel, SENDER, "phone");
        login(sender);
        login(new Session(recipientChannel, RECIPIENT, "phone"));
        discardOutbound();
        message = Message.newBuilder()
            .setMsgId(1)
            .setFromUserId(SENDER)
            .setToUserId(RECIPIENT)
            .setFromDeviceId("phone")
            .setClientMsgId("c-0000000001")
            .setServerTimeMs(System.currentTimeMillis())
            .setContent(Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[payloadBytes])))
            .build();
        stored = message.toByteArray();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        discardOutbound();
        senderChannel.finishAndReleaseAll();
        recipientChannel.finishAndReleaseAll();
    }

    private void login(final Session session)
    {
        event.type = SwitchEvent.LOGIN;
        event.session = session;
        event.result = SwitchEvent.RESULT_OK;
        dispatcher.onEvent(event, ++sequence, true);
    }

    @Benchmark
    public int pushOneToOne()
    {
        return push();
    }

    /** The same pushes, run on a Netty thread in tasks of {@link #PUSHES_PER_TASK}; scored per push. */
    @Benchmark
    @OperationsPerInvocation(PUSHES_PER_TASK)
    public int pushOneToOneOnNettyThread(final NettyThread thread) throws InterruptedException, ExecutionException
    {
        return thread.run(this);
    }

    private int pushes()
    {
        int frames = 0;
        for (int i = 0; i < PUSHES_PER_TASK; i++)
        {
            frames += push();
        }
        return frames;
    }

    private int push()
    {
        // What the journal leaves in the slot for a new 1:1 send.
        event.type = SwitchEvent.SEND;
        event.session = sender;
        event.requestId = sequence;
        event.toUserId = RECIPIENT;
        event.clientMsgId = "c-0000000001";
        System.arraycopy(clientMsgIdBytes, 0, event.clientMsgIdArray(clientMsgIdBytes.length), 0, clientMsgIdBytes.length);
        event.result = SwitchEvent.RESULT_OK;
        event.msgId = sequence;
        event.senderSeq = sequence;
        event.recipientSeq = sequence;
        event.serverTimeMs = 1_000;
        event.message = message;
        event.stored = stored;
        event.storedLength = stored.length;
        sender.incrementInFlightSends();
        dispatcher.onEvent(event, ++sequence, true);
        return discardOutbound();
    }

    /** One Netty thread for {@link #pushOneToOneOnNettyThread}, and what it allocates per push in each iteration. */
    @State(Scope.Thread)
    public static class NettyThread
    {
        private ExecutorService executor;
        private AllocationPerOperation allocation;
        private Callable<Integer> task;
        private long pushes;

        @Setup(Level.Trial)
        public void start() throws InterruptedException, ExecutionException
        {
            // Netty's factory makes FastThreadLocalThreads that clean up their thread locals, as the switch's do.
            executor = Executors.newSingleThreadExecutor(new DefaultThreadFactory("dispatch-bench"));
            allocation = new AllocationPerOperation(executor.submit(Thread::currentThread).get());
        }

        @Setup(Level.Iteration)
        public void startCount()
        {
            allocation.start(pushes);
        }

        @TearDown(Level.Iteration)
        public void printCount()
        {
            allocation.print("message", pushes);
        }

        @TearDown(Level.Trial)
        public void stop()
        {
            executor.shutdownNow();
        }

        int run(final DispatcherBenchmark benchmark) throws InterruptedException, ExecutionException
        {
            if (task == null)
            {
                task = benchmark::pushes;
            }
            final int frames = executor.submit(task).get();
            pushes += PUSHES_PER_TASK;
            return frames;
        }
    }

    private int discardOutbound()
    {
        return discard(senderChannel) + discard(recipientChannel);
    }

    private static int discard(final EmbeddedChannel channel)
    {
        // The dispatcher hands each event loop its frames as one task at the end of the batch.
        channel.runPendingTasks();
        int frames = 0;
        Object out;
        while ((out = channel.readOutbound()) != null)
        {
            if (out instanceof ByteBuf buf)
            {
                buf.release();
            }
            frames++;
        }
        return frames;
    }
}
