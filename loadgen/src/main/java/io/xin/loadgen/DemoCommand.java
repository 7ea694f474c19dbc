package io.xin.loadgen;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.client.media.MediaClient;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Reports;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Target;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.server.media.DaemonMedia;
import io.xin.storage.FsyncPolicy;
import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code xin demo}: the switch's main job on an embedded default. A switch on loopback with a
 * temporary data dir and its media server, a few users chatting online and offline (an end-to-end
 * encrypted photo and voice note among the messages), a resend, a restart, and a printed
 * account of what happened; then a short open-loop {@code chat} load with its summary and HTML report.
 * Bounded: it finishes in about 20 seconds and cleans up its data. With {@code --cluster}, cluster mode
 * instead: a local Kafka, three nodes and a failover ({@link ClusterDemo}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run a switch on loopback with a temporary store, show users chatting online and offline " +
        "(an end-to-end encrypted photo and voice note among the messages), then a short chat load with its " +
        "summary and HTML report.",
        "With --cluster: a local Kafka and three switch nodes in cluster mode, users on different nodes, and a " +
        "node killed (about a minute)."})
public final class DemoCommand implements java.util.concurrent.Callable<Integer>
{
    private static final long ALICE = 1001;
    private static final long BOB = 1002;
    private static final long CAROL = 1003;
    private static final int WAIT_MS = 10_000;
    private static final int CHAT_USERS = 200;
    private static final int CHAT_RATE = 2_000;
    private static final int CHAT_SECONDS = 5;

    @Option(names = "--keep-data", description = "Keep the temporary data dir instead of deleting it.")
    boolean keepData;

    @Option(names = "--verbose", description = "Show the switch's and clients' log lines too.")
    boolean verbose;

    @Option(names = "--cluster", description = "Show cluster mode instead: a local single-node Kafka, three " +
        "switch nodes in child JVMs, two users on different nodes, and a failover when one node is killed.")
    boolean cluster;

    private final PrintStream out = System.out;
    private final List<XinClient> clients = new ArrayList<>();
    private final List<MediaClient> mediaClients = new ArrayList<>();
    private TokenIssuer issuer;
    private int port;

    @Override
    public Integer call() throws Exception
    {
        if (!verbose)
        {
            // The account below tells the story; the switch's own lifecycle lines would interleave with it.
            ((ch.qos.logback.classic.Logger)LoggerFactory.getLogger("io.xin")).setLevel(Level.WARN);
        }
        if (cluster)
        {
            return new ClusterDemo(out, keepData, verbose).run();
        }
        final Path dataDir = Files.createTempDirectory("xin-demo-");
        final byte[] secretBytes = new byte[32];
        new SecureRandom().nextBytes(secretBytes);
        final String secret = Base64.getEncoder().encodeToString(secretBytes);
        issuer = new TokenIssuer(secret);
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dataDir)
            .jwtSecret(secret)
            .fsyncPolicy(FsyncPolicy.BATCH)
            .ioThreads(2)
            .goAwayMaxReconnectDelayMs(200)
            .drainTimeoutMs(5_000)
            // The demo's users chat without making friends first.
            .strangersAllowedByDefault(true);
        // Media on: a local store beside the data, its HTTP server on a free port of the loopback address.
        final DaemonMedia media = DaemonMedia.start(DaemonMedia.Options.local(dataDir.resolve("media"), "127.0.0.1", 0),
            ctx);

        XinSwitch xin = null;
        try
        {
            xin = XinSwitch.launch(ctx);
            port = xin.port();
            out.printf("%nXin demo: a switch on 127.0.0.1:%d (%s transport), a RocksDB store in %s, fsync per batch%n",
                port, xin.transportName(), dataDir);
            out.printf("          its media server on %s, blobs in %s%n%n", media.publicUrl(),
                dataDir.resolve("media"));

            step(1, "Alice (user %d, phone) and Bob (user %d, phone and laptop) log in; Carol (user %d) is offline.",
                ALICE, BOB, CAROL);
            final Device alice = login(ALICE, "alice-phone");
            final Device bobPhone = login(BOB, "bob-phone");
            final Device bobLaptop = login(BOB, "bob-laptop");

            step(2, "Alice sends Bob a text. Both of Bob's devices get it pushed at once.");
            final long startNs = System.nanoTime();
            final SendAck hello = alice.send(BOB, "hello-1", text("Hi Bob! Dinner at 7?"));
            final double ackMs = (System.nanoTime() - startNs) / 1e6;
            out.printf("    Alice: stored and acked in %.1f ms: msg_id=%d, seq %d in her own inbox%n",
                ackMs, hello.getMsgId(), hello.getSeq());
            bobPhone.expect("Bob's phone");
            bobLaptop.expect("Bob's laptop");

            step(3, "Bob replies from his phone with a photo, encrypted end to end: his client uploads the " +
                "ciphertext to the media server and the message carries the reference and the key. Alice gets it " +
                "and downloads it; Bob's laptop gets his own copy.");
            final byte[] photo = DemoMedia.photo();
            bobPhone.media.sendMedia(ALICE, MediaClient.Attachment.of(photo, "image/png").encrypt(true)
                .size(DemoMedia.PHOTO_WIDTH, DemoMedia.PHOTO_HEIGHT).caption("Here's the place")
                .clientMsgId("photo-1")).get(WAIT_MS, TimeUnit.MILLISECONDS);
            final Message photoAtAlice = alice.expect("Alice");
            bobLaptop.expect("Bob's laptop");
            alice.fetch("Alice", "the photo", photoAtAlice, photo);

            step(4, "Alice writes to Carol, who is offline: a text, a voice note and a location. Each is " +
                "acked once it is durably in Carol's inbox.");
            alice.send(CAROL, "carol-1", text("Carol, are you coming tonight?"));
            final byte[] voice = DemoMedia.voiceNote(DemoMedia.VOICE_MS);
            alice.media.sendMedia(CAROL, MediaClient.Attachment.of(voice, "audio/ogg").encrypt(true)
                .durationMs(DemoMedia.VOICE_MS).clientMsgId("carol-2")).get(WAIT_MS, TimeUnit.MILLISECONDS);
            alice.send(CAROL, "carol-3", Content.newBuilder().setType(ContentType.LOCATION)
                .setBody(ByteString.copyFromUtf8("{\"lat\":31.2304,\"lng\":121.4737,\"name\":\"The Bund\"}"))
                .build());

            step(5, "Alice's phone lost the first ack and resends 'hello-1' with the same client_msg_id.");
            final SendAck again = alice.send(BOB, "hello-1", text("Hi Bob! Dinner at 7?"));
            out.printf("    Alice: acked as duplicate=%s with the original msg_id=%d and seq %d; stored once%n",
                again.getDuplicate(), again.getMsgId(), again.getSeq());
            bobPhone.expectNothing("Bob's phone");

            step(6, "Carol comes online. Her inbox head is ahead of her device, so the client syncs.");
            final Device carol = login(CAROL, "carol-phone");
            Message voiceAtCarol = null;
            for (int i = 0; i < 3; i++)
            {
                final Message message = carol.expect("Carol");
                voiceAtCarol = message.getContent().getType() == ContentType.VOICE ? message : voiceAtCarol;
            }
            carol.fetch("Carol", "the voice note", voiceAtCarol, voice);

            step(7, "The switch restarts on the same data (GoAway to every session, ring drained, RocksDB " +
                "closed). Alice's client reconnects by itself; nothing acked is lost and seqs continue.");
            final long storedBefore = xin.counters().messagesStored.sum();
            xin.close();
            xin = XinSwitch.launch(ctx.port(port));
            alice.awaitLoggedIn();
            final SendAck afterRestart = alice.send(CAROL, "carol-4", text("See you there!"));
            out.printf("    Alice: stored after restart: msg_id=%d (before: %d), seq %d in her inbox (before: %d)%n",
                afterRestart.getMsgId(), hello.getMsgId(), afterRestart.getSeq(), hello.getSeq());
            carol.expect("Carol");

            out.printf("%nWhat happened:%n");
            for (final Device device : List.of(alice, bobPhone, bobLaptop, carol))
            {
                out.printf("    %-12s inbox at seq %d: %d message(s) received, %d sent from this device%n",
                    device.name, device.client.lastSeq(), device.received.size(), device.ownSent.size());
            }
            out.printf("    switch before the restart: %d messages stored%n", storedBefore);
            out.printf("    switch after the restart:  %s%n", xin.counters());
            step(8, "Load: %,d users online send %,d messages per second to each other for %d s (open loop, " +
                "latency from each message's intended send time).", CHAT_USERS, CHAT_RATE, CHAT_SECONDS);
            final int exit = chat(secret, port, xin.context().fsyncPolicy());

            out.printf("%nDemo finished: every acknowledged message was delivered, none twice.%n");
            return exit;
        }
        finally
        {
            for (final MediaClient mediaClient : mediaClients)
            {
                mediaClient.close();
            }
            for (final XinClient client : clients)
            {
                client.close();
            }
            if (xin != null)
            {
                xin.close();
            }
            media.close();
            if (!keepData)
            {
                deleteRecursively(dataDir);
            }
        }
    }

    private int chat(final String secret, final int port, final FsyncPolicy fsync) throws Exception
    {
        final Target target = new Target("127.0.0.1", port, null, secret, 2_000_000, List.of());
        try (Fleet fleet = new Fleet(target, CHAT_USERS, 1))
        {
            if (fleet.connect(0, CHAT_USERS, WAIT_MS) > 0)
            {
                throw new IllegalStateException("not every load session could log in");
            }
            final ChatRun.Settings settings = new ChatRun.Settings();
            settings.ratePerSecond = CHAT_RATE;
            settings.warmupMs = 1_000;
            settings.durationMs = CHAT_SECONDS * 1_000L;
            settings.drainMs = 5_000;
            settings.serverPid = ProcessHandle.current().pid();
            final Measurements measurements = new Measurements("demo", () -> "");
            final ChatRun.Outcome outcome = new ChatRun(fleet, settings, measurements).run();
            final Summary summary = new Summary()
                .put("scenario", "chat")
                .put("target", "embedded (fsync " + fsync.name().toLowerCase(java.util.Locale.ROOT) + ")")
                .put("sessions", CHAT_USERS);
            final int exit = ChatCommand.summarize(settings, outcome, measurements, summary);
            // The switch and the load share this process: its CPU per message is the sum of both.
            summary.values().remove("server_cpu_us_per_message");
            summary.values().remove("loadgen_cpu_us_per_message");
            Reports.printText(summary, out);
            final Path html = Path.of("xin-reports", "demo-" +
                java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")),
                "report.html");
            Reports.writeHtml(summary, measurements, html);
            Reports.writeHistogramLog(measurements, html.resolveSibling("latency.hlog"));
            out.printf("%n    HTML report (latency percentiles, throughput over time): %s%n", html.toAbsolutePath());
            out.printf("    Measure your own switch: ./xin loadgen chat --help, ./xin loadgen ramp --help%n");
            return exit;
        }
    }

    private void step(final int number, final String format, final Object... args)
    {
        out.printf("[%d] %s%n", number, String.format(format, args));
    }

    static Content text(final String text)
    {
        return Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(text, StandardCharsets.UTF_8))
            .build();
    }

    private Device login(final long userId, final String deviceId) throws Exception
    {
        final Device device = new Device(deviceId);
        device.client = demoClient(issuer, userId, deviceId, device)
            .host("127.0.0.1")
            .port(port)
            .build();
        clients.add(device.client);
        device.media = new MediaClient(device.client);
        mediaClients.add(device.media);
        final LoginOk ok = device.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        out.printf("    %-12s logged in as user %d, inbox head seq %d%n", deviceId, ok.getUserId(), ok.getHeadSeq());
        return device;
    }

    /** A demo device's client: a token of an hour, quick reconnects, the demo's version; the caller says where. */
    static XinClient.Builder demoClient(
        final TokenIssuer issuer, final long userId, final String deviceId, final XinClient.Listener listener)
    {
        return XinClient.builder()
            .tokenSupplier(() -> issuer.issue(userId, Duration.ofHours(1)))
            .deviceId(deviceId)
            .reconnectInitialDelayMs(100)
            .reconnectMaxDelayMs(1_000)
            .listener(listener)
            .clientVersion("xin-demo");
    }

    private static String describe(final Message message)
    {
        final Content content = message.getContent();
        final String what = switch (content.getType())
        {
            case TEXT -> "\"" + content.getBody().toStringUtf8() + "\"";
            case IMAGE, VIDEO, VOICE, FILE -> DemoMedia.describeRef(content);
            default -> content.getType() + " " + content.getBody().toStringUtf8();
        };
        return "seq " + message.getSeq() + " from " + message.getFromUserId() + ": " + what;
    }

    static void deleteRecursively(final Path dir) throws IOException
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }

    private final class Device implements XinClient.Listener
    {
        final String name;
        final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        final List<Message> received = new ArrayList<>();
        final List<Message> ownSent = new ArrayList<>();
        XinClient client;
        MediaClient media;

        Device(final String name)
        {
            this.name = name;
        }

        @Override
        public void onMessage(final Message message)
        {
            // This device's own sends enter its inbox too (seq from the ack); the story is about the others.
            if (message.getFromDeviceId().equals(name) && message.getFromUserId() == client.userId())
            {
                ownSent.add(message);
                return;
            }
            inbox.add(message);
        }

        SendAck send(final long to, final String clientMsgId, final Content content) throws Exception
        {
            return client.send(to, clientMsgId, content).get(WAIT_MS, TimeUnit.MILLISECONDS);
        }

        Message expect(final String who) throws InterruptedException
        {
            final Message message = inbox.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            if (message == null)
            {
                throw new IllegalStateException(who + " did not receive the expected message");
            }
            received.add(message);
            out.printf("    %s: %s%n", who, describe(message));
            return message;
        }

        /** Downloads what a received message references, checks and decrypts it, and compares it with the original. */
        void fetch(final String who, final String what, final Message message, final byte[] original) throws Exception
        {
            if (message == null)
            {
                throw new IllegalStateException(who + " did not receive " + what);
            }
            final long startNs = System.nanoTime();
            final byte[] bytes = media.fetch(message.getContent().getMedia()).get(WAIT_MS, TimeUnit.MILLISECONDS);
            final double fetchMs = (System.nanoTime() - startNs) / 1e6;
            if (!java.util.Arrays.equals(bytes, original))
            {
                throw new IllegalStateException(who + " downloaded " + what + " and it differs from what was sent");
            }
            out.printf("    %s: downloaded %s in %.1f ms, checked it against its blob key and decrypted it: %s, " +
                "identical to what was sent%n", who, what, fetchMs, DemoMedia.describe(message.getContent(), bytes));
        }

        void expectNothing(final String who) throws InterruptedException
        {
            final Message message = inbox.poll(300, TimeUnit.MILLISECONDS);
            if (message != null)
            {
                throw new IllegalStateException(who + " received a duplicate: " + describe(message));
            }
            out.printf("    %s: nothing new (no duplicate)%n", who);
        }

        void awaitLoggedIn() throws Exception
        {
            client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
    }
}
