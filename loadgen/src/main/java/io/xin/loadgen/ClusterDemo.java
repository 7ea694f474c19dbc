package io.xin.loadgen;

import io.xin.client.XinClient;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.journal.JournalShard;
import io.xin.loadgen.cluster.LocalKafka;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code xin demo --cluster}: cluster mode on one machine. A single-node Kafka ({@link LocalKafka}) and three
 * switch nodes, each a child JVM running {@code xin server} in cluster mode with its own data dir and loopback
 * port; two users on different nodes, redirected there at login, chatting across them; then the node of one of
 * them killed with SIGKILL, the time until that user is served by another node, more messages both ways, and a
 * sync of both inboxes that shows no acknowledged message was lost. Bounded (about a minute on two cores); its
 * children are stopped and its folders deleted however it ends, also on Ctrl-C.
 */
final class ClusterDemo
{
    private static final String HOST = "127.0.0.1";
    private static final String CLUSTER = "xin-demo";
    private static final int NODES = 3;
    private static final int PARTITIONS = 6;
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final int HEARTBEAT_INTERVAL_MS = 1_000;
    private static final long START_TIMEOUT_MS = 60_000;
    private static final long OWNERSHIP_TIMEOUT_MS = 30_000;
    private static final long FAILOVER_TIMEOUT_MS = 40_000;
    private static final long WAIT_MS = 15_000;
    private static final long STOP_GRACE_MS = 10_000;
    /** The log lines of {@code io.xin.cluster.ClusterNode} that say a node took or gave up a shard. */
    private static final Pattern OWNS = Pattern.compile("Owns journal shard (\\d+) ");
    private static final Pattern GAVE_UP = Pattern.compile("Gave up journal shard (\\d+) ");

    private final PrintStream out;
    private final boolean keepData;
    private final boolean verbose;
    /** The nodes, n1 to n3; filled by the demo's thread before any is started, read by the shutdown hook. */
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    /** Guards every node's {@code owned} and {@code dead}; notified when they change. */
    private final Object ownership = new Object();
    /** The clients; closed at the end. */
    private final List<XinClient> clients = new CopyOnWriteArrayList<>();
    /** Every acknowledged send, checked against both inboxes at the end. Owned by the demo's thread. */
    private final List<Sent> sent = new ArrayList<>();
    /** Set by the first of the demo's own cleanup and the shutdown hook. */
    private final AtomicBoolean cleanedUp = new AtomicBoolean();
    /** Set by the shutdown hook: the JVM is exiting, and the children are killed, not drained. */
    private volatile boolean exiting;
    /** When the demo started: the shutdown hook stops the children of this JVM started since. */
    private final Instant started = Instant.now();
    /** Set once Kafka serves clients; read by the shutdown hook. */
    private volatile LocalKafka kafka;
    /** The nodes' folders (data and logs); set before the first node starts. */
    private volatile Path dir;
    private TokenIssuer issuer;
    private List<InetSocketAddress> seeds;

    /**
     * @param out      where the account goes.
     * @param keepData keep the nodes' folders instead of deleting them.
     * @param verbose  echo the nodes' log lines.
     */
    ClusterDemo(final PrintStream out, final boolean keepData, final boolean verbose)
    {
        this.out = out;
        this.keepData = keepData;
        this.verbose = verbose;
    }

    /**
     * Run the demo.
     *
     * @return 0 when every acknowledged message is in both inboxes once and neither has a gap, 1 otherwise.
     * @throws Exception when a step fails; everything is stopped first.
     */
    int run() throws Exception
    {
        final long startNs = System.nanoTime();
        final Thread hook = new Thread(this::cleanUpOnExit, "xin-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        final Outcome outcome;
        try
        {
            outcome = show();
        }
        finally
        {
            cleanUp();
            try
            {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
            catch (final IllegalStateException alreadyExiting)
            {
                // The JVM is exiting: the hook runs, and finds everything already stopped.
            }
        }
        out.printf("%nCluster demo finished in %.1f s: %d nodes on one Kafka, failover of alice from %s to %s in " +
            "%.1f s (login) and %.1f s (first ack), %d messages acknowledged, %d lost, %d duplicated.%n",
            seconds(System.nanoTime() - startNs), NODES, outcome.from, outcome.to, seconds(outcome.loginNs),
            seconds(outcome.ackNs), sent.size(), outcome.lost, outcome.duplicated);
        return outcome.lost == 0 && outcome.duplicated == 0 && outcome.gapless ? 0 : 1;
    }

    private Outcome show() throws Exception
    {
        final byte[] secretBytes = new byte[32];
        new SecureRandom().nextBytes(secretBytes);
        final String secret = Base64.getEncoder().encodeToString(secretBytes);
        issuer = new TokenIssuer(secret);

        out.printf("%nXin cluster demo: a local Kafka, three switch nodes in child JVMs, two users on different " +
            "nodes, and one node killed.%n");
        step(1, "Kafka: a single-node KRaft broker in a child JVM, from the Maven artifacts on the classpath.");
        long phaseNs = System.nanoTime();
        kafka = LocalKafka.start();
        out.printf("    Kafka serves clients on %s (pid %d), started in %.1f s%n", kafka.bootstrapServers(),
            kafka.process().pid(), seconds(System.nanoTime() - phaseNs));

        step(2, "Three switch nodes, each 'xin server --cluster-kafka %s --cluster-name %s' in its own JVM with " +
            "its own data dir; the %d partitions are shared out by Kafka's consumer group.",
            kafka.bootstrapServers(), CLUSTER, PARTITIONS);
        phaseNs = System.nanoTime();
        dir = Files.createTempDirectory("xin-cluster-demo-");
        for (int i = 1; i <= NODES; i++)
        {
            nodes.add(new Node("n" + i, freePort(), dir.resolve("n" + i)));
        }
        for (final Node node : nodes)
        {
            node.start(kafka.bootstrapServers(), secret);
        }
        seeds = new ArrayList<>();
        for (final Node node : nodes)
        {
            awaitListening(node);
            seeds.add(new InetSocketAddress(HOST, node.port));
            out.printf("    %s listens on %s (pid %d), data in %s%n", node.id, node.address(), node.process.pid(),
                node.dir);
        }
        awaitOwnership(this::balanced, "every partition owned, each node its share");
        out.printf("    partitions owned after %.1f s: %s%n", seconds(System.nanoTime() - phaseNs), owners());

        final Node aliceNode = nodes.get(1);
        final Node bobNode = nodes.get(2);
        final long aliceId = userOwnedBy(aliceNode, 1001);
        final long bobId = userOwnedBy(bobNode, aliceId + 1);
        step(3, "Alice (user %d, partition %d, owned by %s) and Bob (user %d, partition %d, owned by %s) log in " +
            "with all three nodes as seeds; the first seed, %s, redirects each to the owner (MOVED).",
            aliceId, shardOf(aliceId), aliceNode.id, bobId, shardOf(bobId), bobNode.id, nodes.get(0).id);
        final Device alice = login(aliceId, "alice", "alice-phone");
        final Device bob = login(bobId, "bob", "bob-phone");

        step(4, "They chat across the two nodes: each message is stored by the sender's node in a Kafka " +
            "transaction with a hand-off to the recipient's partition, which the recipient's node consumes.");
        exchange(alice, bob, "a-1", "Hi Bob, I'm on " + aliceNode.id + ".");
        exchange(bob, alice, "b-1", "Hi Alice, I'm on " + bobNode.id + ".");
        exchange(alice, bob, "a-2", "Shall we test a failover?");
        exchange(bob, alice, "b-2", "Go ahead.");

        final Node victim = ownerOf(shardOf(aliceId));
        step(5, "kill -9 %s (pid %d), the node that owns Alice's partition: no drain, no goodbye to Kafka. Its " +
            "partitions move once the group's session timeout (%d ms) expires.", victim.id, victim.process.pid(),
            SESSION_TIMEOUT_MS);
        alice.logins.clear();
        alice.moves.clear();
        final long killNs = System.nanoTime();
        victim.kill();
        final SendAck whileDown = bob.send(aliceId, "b-3", "Are you still there?");
        sent.add(new Sent(bob, alice, whileDown));
        out.printf("    bob   -> alice  \"Are you still there?\" acked by %s after %.0f ms while Alice's node is " +
            "down: msg_id %d, seq %d in bob's inbox; the hand-off waits in Kafka%n", bobNode.id,
            millis(System.nanoTime() - killNs), whileDown.getMsgId(), whileDown.getSeq());
        final LoginOk relogin = alice.logins.poll(FAILOVER_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (relogin == null)
        {
            throw new IllegalStateException("alice was not logged in again within " + FAILOVER_TIMEOUT_MS + " ms " +
                "of the kill; partitions now: " + owners());
        }
        final long loginNs = System.nanoTime() - killNs;
        final SendAck firstAck = alice.send(bobId, "a-3", "I'm back.");
        final long ackNs = System.nanoTime() - killNs;
        sent.add(new Sent(alice, bob, firstAck));
        final Node rescuer = awaitOwnerOf(aliceId);
        out.printf("    alice-phone logged in again on %s %.1f s after the kill, inbox head seq %d%n", rescuer.id,
            seconds(loginNs), relogin.getHeadSeq());
        if (!alice.moves.isEmpty())
        {
            // Until the group gives the partition to another node, the others still name the killed one.
            out.printf("                redirected meanwhile, while her partition had not moved yet: %s%n",
                describeMoves(alice.moves));
        }
        out.printf("    alice -> bob    \"I'm back.\" acked by %s %.1f s after the kill: msg_id %d, seq %d in " +
            "alice's inbox%n", rescuer.id, seconds(ackNs), firstAck.getMsgId(), firstAck.getSeq());
        alice.expect();
        bob.expect();
        awaitOwnership(this::balanced, "the killed node's partitions owned by the others");
        out.printf("    partitions owned now: %s%n", owners());

        step(6, "More messages both ways, Alice now served by %s.", rescuer.id);
        exchange(alice, bob, "a-4", "Everything is still here.");
        exchange(bob, alice, "b-4", "Good. See you at 7.");
        exchange(alice, bob, "a-5", "See you.");

        step(7, "Both clients sync their inboxes from seq 0: every acknowledged message must be there once.");
        final Map<Device, List<Message>> inboxes = new HashMap<>();
        boolean everyInboxGapless = true;
        for (final Device device : List.of(alice, bob))
        {
            final List<Message> inbox = syncAll(device);
            inboxes.put(device, inbox);
            final Set<Long> ids = new HashSet<>();
            boolean gapless = true;
            for (int i = 0; i < inbox.size(); i++)
            {
                gapless &= inbox.get(i).getSeq() == i + 1;
                ids.add(inbox.get(i).getMsgId());
            }
            everyInboxGapless &= gapless;
            out.printf("    %-5s inbox: %d messages, seq 1..%d %s, %s%n", device.user, inbox.size(), inbox.size(),
                gapless ? "without a gap" : "WITH GAPS", ids.size() == inbox.size() ? "no msg_id twice" :
                    (inbox.size() - ids.size()) + " msg_id(s) twice");
        }
        int lost = 0;
        int duplicated = 0;
        for (final Sent message : sent)
        {
            for (final Device holder : List.of(message.from, message.to))
            {
                final long copies = inboxes.get(holder).stream()
                    .filter(stored -> stored.getMsgId() == message.ack.getMsgId()).count();
                if (copies == 0)
                {
                    lost++;
                    out.printf("    LOST: msg_id %d from %s is not in %s's inbox%n", message.ack.getMsgId(),
                        message.from.user, holder.user);
                }
                duplicated += copies > 1 ? 1 : 0;
            }
        }
        out.printf("    %d acknowledged messages, each checked in the sender's and the recipient's inbox: %d lost, " +
            "%d duplicated%n", sent.size(), lost, duplicated);
        return new Outcome(victim.id, rescuer.id, loginNs, ackNs, lost, duplicated, everyInboxGapless);
    }

    private Device login(final long userId, final String user, final String deviceId) throws Exception
    {
        final Device device = new Device(user, deviceId);
        device.client = DemoCommand.demoClient(issuer, userId, deviceId, device)
            .addresses(seeds)
            .build();
        clients.add(device.client);
        final LoginOk ok = device.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        final Node owner = awaitOwnerOf(userId);
        out.printf("    %-12s %s; logged in on %s, inbox head seq %d%n", deviceId,
            device.moves.isEmpty() ? "no redirect" : "redirected to " + describeMoves(device.moves), owner.id,
            ok.getHeadSeq());
        device.logins.clear();
        return device;
    }

    private void exchange(final Device from, final Device to, final String clientMsgId, final String text)
        throws Exception
    {
        final long startNs = System.nanoTime();
        final SendAck ack = from.send(to.client.userId(), clientMsgId, text);
        out.printf("    %-5s -> %-5s  \"%s\" acked in %.1f ms: msg_id %d, seq %d in %s's inbox%n", from.user,
            to.user, text, millis(System.nanoTime() - startNs), ack.getMsgId(), ack.getSeq(), from.user);
        sent.add(new Sent(from, to, ack));
        to.expect();
    }

    /** Every message of the device's inbox, paged with raw Syncs from seq 0. */
    private static List<Message> syncAll(final Device device) throws Exception
    {
        final List<Message> inbox = new ArrayList<>();
        long after = 0;
        while (true)
        {
            final SyncResult page = device.client.sync(after, 0).get(WAIT_MS, TimeUnit.MILLISECONDS);
            inbox.addAll(page.getMessagesList());
            after = page.getLastSeq();
            if (!page.getHasMore())
            {
                return inbox;
            }
        }
    }

    private static int shardOf(final long userId)
    {
        return JournalShard.of(userId, PARTITIONS);
    }

    /** The first user from {@code from} up whose partition the node owns. */
    private long userOwnedBy(final Node node, final long from)
    {
        synchronized (ownership)
        {
            for (long user = from; user < from + 10_000; user++)
            {
                if (node.owned.contains(shardOf(user)))
                {
                    return user;
                }
            }
        }
        throw new IllegalStateException(node.id + " owns no partition");
    }

    private Node ownerOf(final int shard)
    {
        synchronized (ownership)
        {
            for (final Node node : nodes)
            {
                if (!node.dead && node.owned.contains(shard))
                {
                    return node;
                }
            }
            return null;
        }
    }

    /** The node that owns the user's partition, waiting for its log line if it took it a moment ago. */
    private Node awaitOwnerOf(final long userId) throws InterruptedException
    {
        final int shard = shardOf(userId);
        awaitOwnership(() -> ownerOf(shard) != null, "an owner of partition " + shard);
        return ownerOf(shard);
    }

    /** Whether the live nodes own every partition once between them, each its share (no node more than one over). */
    private boolean balanced()
    {
        synchronized (ownership)
        {
            final Set<Integer> all = new HashSet<>();
            int total = 0;
            int least = Integer.MAX_VALUE;
            int most = 0;
            for (final Node node : nodes)
            {
                if (!node.dead)
                {
                    all.addAll(node.owned);
                    total += node.owned.size();
                    least = Math.min(least, node.owned.size());
                    most = Math.max(most, node.owned.size());
                }
            }
            return all.size() == PARTITIONS && total == PARTITIONS && least > 0 && most - least <= 1;
        }
    }

    private void awaitOwnership(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OWNERSHIP_TIMEOUT_MS);
        synchronized (ownership)
        {
            while (!condition.getAsBoolean())
            {
                for (final Node node : nodes)
                {
                    if (!node.dead && !node.process.isAlive())
                    {
                        throw new IllegalStateException(node.id + " exited with " + node.process.exitValue() +
                            "; its log: " + node.log());
                    }
                }
                final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                if (leftMs <= 0)
                {
                    throw new IllegalStateException("not reached within " + OWNERSHIP_TIMEOUT_MS + " ms: " + what +
                        "; partitions now: " + owners());
                }
                // Woken by every ownership change; the bound only notices a node that exited.
                ownership.wait(Math.min(leftMs, 500));
            }
        }
    }

    /** "n1: 0, 3 | n2: 1, 4 | n3: 2, 5"; a killed node is shown as such. */
    private String owners()
    {
        synchronized (ownership)
        {
            final StringJoiner text = new StringJoiner(" | ");
            for (final Node node : nodes)
            {
                text.add(node.id + ": " + (node.dead ? "killed" : node.owned.isEmpty() ? "none" :
                    String.join(", ", node.owned.stream().map(String::valueOf).toList())));
            }
            return text.toString();
        }
    }

    private String describeMoves(final List<String> moves)
    {
        final StringJoiner text = new StringJoiner(", then ");
        String last = null;
        int times = 0;
        for (final String address : moves)
        {
            if (address.equals(last))
            {
                times++;
                continue;
            }
            if (last != null)
            {
                text.add(describeAddress(last) + (times > 1 ? ", " + times + " times" : ""));
            }
            last = address;
            times = 1;
        }
        if (last != null)
        {
            text.add(describeAddress(last) + (times > 1 ? ", " + times + " times" : ""));
        }
        return moves.isEmpty() ? "none" : text.toString();
    }

    private String describeAddress(final String address)
    {
        if (address.isEmpty())
        {
            return "no owner yet, retry later";
        }
        for (final Node node : nodes)
        {
            if (node.address().equals(address))
            {
                return node.id + " at " + address + (node.dead ? " (killed)" : "");
            }
        }
        return address;
    }

    private void step(final int number, final String format, final Object... args)
    {
        out.printf("%n[%d] %s%n", number, String.format(format, args));
    }

    private static void awaitListening(final Node node) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (true)
        {
            if (!node.process.isAlive())
            {
                throw new IllegalStateException(node.id + " exited with " + node.process.exitValue() + "; its log: " +
                    node.log());
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(HOST, node.port), 200);
                return;
            }
            catch (final IOException notYet)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException(node.id + " did not listen on " + node.address() + " within " +
                        START_TIMEOUT_MS + " ms; its log: " + node.log());
                }
                // Nothing to wait on but the port itself.
                Thread.sleep(100);
            }
        }
    }

    /**
     * Close the clients, stop the nodes and Kafka, delete the folders: once, from the demo or the hook.
     */
    private void cleanUp()
    {
        if (!cleanedUp.compareAndSet(false, true))
        {
            return;
        }
        final long startNs = System.nanoTime();
        for (final XinClient client : clients)
        {
            client.close();
        }
        // All at once: each drains and leaves the group while the others do.
        for (final Node node : nodes)
        {
            if (node.process != null)
            {
                // Through its handle: Process.destroy() would also close the pipe of its last log lines.
                node.process.toHandle().destroy();
            }
        }
        for (final Node node : nodes)
        {
            node.stop();
        }
        final long nodesNs = System.nanoTime() - startNs;
        final LocalKafka broker = kafka;
        if (broker != null)
        {
            broker.close();
        }
        final Path folder = dir;
        if (folder != null && !keepData)
        {
            try
            {
                DemoCommand.deleteRecursively(folder);
            }
            catch (final IOException | java.io.UncheckedIOException ex)
            {
                out.printf("    could not delete %s: %s%n", folder, ex);
            }
        }
        final String how = exiting ? "killed: the demo was interrupted" : "SIGTERM: each drains and leaves the group";
        out.printf("%nStopped the %d nodes in %.1f s (%s) and Kafka in %.1f s; %s%n", nodes.size(),
            seconds(nodesNs), how, seconds(System.nanoTime() - startNs - nodesNs), folder == null ? "no data written" :
                keepData ? "the nodes' data and logs are kept in " + folder : "deleted " + folder);
    }

    /** The shutdown hook: as {@link #cleanUp}, and first the children this JVM started since the demo began. */
    private void cleanUpOnExit()
    {
        if (cleanedUp.get())
        {
            return;
        }
        exiting = true;
        // The JVM is exiting: no time for drains. Kafka's JVM (or its storage tool) before LocalKafka.start()
        // returned is known only as a child of this one started since the demo began, and its folder only from
        // the configuration file on its command line.
        final List<ProcessHandle> children = ProcessHandle.current().children()
            .filter(child -> child.info().startInstant().map(at -> !at.isBefore(started)).orElse(false))
            .toList();
        final List<Path> kafkaFolders = kafka != null ? List.of() : children.stream()
            .flatMap(child -> arguments(child).stream())
            .filter(argument -> argument.endsWith("server.properties"))
            .map(argument -> Path.of(argument).getParent())
            .filter(folder -> folder != null && folder.getFileName().toString().startsWith("xin-kafka-"))
            .distinct()
            .toList();
        children.forEach(ProcessHandle::destroyForcibly);
        for (final Node node : nodes)
        {
            if (node.process != null)
            {
                node.process.destroyForcibly();
            }
        }
        for (final ProcessHandle child : children)
        {
            try
            {
                child.onExit().get(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException | java.util.concurrent.ExecutionException |
                java.util.concurrent.TimeoutException ex)
            {
                // Deleting a folder it still writes may fail: best effort on the way out.
            }
        }
        for (final Path folder : kafkaFolders)
        {
            try
            {
                DemoCommand.deleteRecursively(folder);
            }
            catch (final IOException | java.io.UncheckedIOException ignore)
            {
                // Best effort on the way out.
            }
        }
        cleanUp();
    }

    /**
     * A process's command line. ProcessHandle.Info leaves out a command line as long as a JVM's with this
     * classpath; on Linux, /proc has all of it.
     */
    private static List<String> arguments(final ProcessHandle process)
    {
        try
        {
            final byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return List.of(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
        }
        catch (final IOException | RuntimeException notLinux)
        {
            return process.info().arguments().map(List::of).orElse(List.of());
        }
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    private static double seconds(final long nanos)
    {
        return nanos / 1e9;
    }

    private static double millis(final long nanos)
    {
        return nanos / 1e6;
    }

    /** What the failover cost and what the final sync found. */
    private record Outcome(String from, String to, long loginNs, long ackNs, int lost, int duplicated,
        boolean gapless)
    {
    }

    /** An acknowledged send. */
    private record Sent(Device from, Device to, SendAck ack)
    {
    }

    /** A switch node in a child JVM. */
    private final class Node
    {
        final String id;
        final int port;
        final Path dir;
        /** The partitions this node owns, from its log lines. Guarded by {@link #ownership}. */
        final Set<Integer> owned = new TreeSet<>();
        /** Killed by the demo: its partitions are no longer its. Guarded by {@link #ownership}. */
        boolean dead;
        /** Set by the demo's thread at start; read by the shutdown hook. */
        volatile Process process;
        /** Copies the node's output to its log; ends when the node does. Set at start, read by stop. */
        private volatile Thread reader;

        Node(final String id, final int port, final Path dir)
        {
            this.id = id;
            this.port = port;
            this.dir = dir;
        }

        String address()
        {
            return HOST + ":" + port;
        }

        /** Start {@code xin server} in cluster mode, the way the daemon is started, with a small footprint. */
        void start(final String bootstrapServers, final String secret) throws IOException
        {
            Files.createDirectories(dir);
            final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Three nodes, Kafka and the demo share the machine: small heaps, one collector thread, quick JIT.
                "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-DXIN_LOG_LEVEL=INFO",
                "-cp", System.getProperty("java.class.path"), LoadgenMain.class.getName(),
                "server",
                "--host", HOST,
                "--port", Integer.toString(port),
                "--data-dir", dir.resolve("data").toString(),
                "--jwt-secret", secret,
                "--cluster-kafka", bootstrapServers,
                "--cluster-name", CLUSTER,
                "--cluster-node-id", id,
                "--cluster-advertised-address", address(),
                "--cluster-partitions", Integer.toString(PARTITIONS),
                "--cluster-replication-factor", "1",
                "--cluster-min-insync-replicas", "1",
                "--cluster-session-timeout-ms", Integer.toString(SESSION_TIMEOUT_MS),
                "--cluster-heartbeat-interval-ms", Integer.toString(HEARTBEAT_INTERVAL_MS),
                // No admin port: the default one may be taken, or taken by the next node.
                "--admin-port", "-1",
                "--io-threads", "1",
                "--sync-threads", "1",
                "--ring-size", "1024",
                "--block-cache-bytes", Integer.toString(8 << 20),
                "--write-buffer-bytes", Integer.toString(8 << 20),
                "--go-away-max-reconnect-delay-ms", "200",
                "--drain-timeout-ms", "5000",
                // The demo's users chat without making friends first.
                "--strangers-allowed-by-default", "true"));
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            // The node takes only the settings above, not a XIN_* setting of the shell the demo runs in.
            builder.environment().keySet().removeIf(name -> name.startsWith("XIN_"));
            process = builder.start();
            final Process started = process;
            reader = new Thread(() -> read(started), "xin-demo-" + id + "-log");
            reader.setDaemon(true);
            reader.start();
        }

        /** Copy the node's output to its log file, and follow which partitions it owns. */
        private void read(final Process started)
        {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8));
                BufferedWriter log = Files.newBufferedWriter(dir.resolve("node.log"), StandardCharsets.UTF_8))
            {
                String line;
                while ((line = lines.readLine()) != null)
                {
                    log.write(line);
                    log.newLine();
                    log.flush();
                    follow(line);
                    if (verbose)
                    {
                        out.printf("    [%s] %s%n", id, line);
                    }
                }
            }
            catch (final IOException ignore)
            {
                // The node is gone, or its folder was deleted under it at the end.
            }
        }

        private void follow(final String line)
        {
            final Matcher owns = OWNS.matcher(line);
            final Matcher gaveUp = GAVE_UP.matcher(line);
            synchronized (ownership)
            {
                if (owns.find())
                {
                    owned.add(Integer.parseInt(owns.group(1)));
                }
                else if (gaveUp.find())
                {
                    owned.remove(Integer.parseInt(gaveUp.group(1)));
                }
                else
                {
                    return;
                }
                ownership.notifyAll();
            }
        }

        /** SIGKILL, as {@code kill -9}. */
        void kill() throws InterruptedException
        {
            process.toHandle().destroyForcibly();
            if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS))
            {
                throw new IllegalStateException(id + " did not die within " + STOP_GRACE_MS + " ms of SIGKILL");
            }
            synchronized (ownership)
            {
                dead = true;
                owned.clear();
                ownership.notifyAll();
            }
        }

        /** Wait for a SIGTERM sent before to stop the node; kill it past the grace period. */
        void stop()
        {
            final Process running = process;
            if (running == null)
            {
                return;
            }
            try
            {
                if (!running.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS))
                {
                    running.toHandle().destroyForcibly();
                    running.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                running.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            final Thread copying = reader;
            try
            {
                // Its log is complete and closed before its folder is deleted.
                if (copying != null)
                {
                    copying.join(STOP_GRACE_MS);
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        /** The node's log so far, for an error message. */
        String log()
        {
            try
            {
                return "\n" + Files.readString(dir.resolve("node.log"), StandardCharsets.UTF_8);
            }
            catch (final IOException ex)
            {
                return "(unreadable: " + ex + ")";
            }
        }
    }

    /** A user's phone: its client, what it received, its logins and redirects. */
    private final class Device implements XinClient.Listener
    {
        final String user;
        final String name;
        final BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        final BlockingQueue<LoginOk> logins = new LinkedBlockingQueue<>();
        /** The addresses of every MOVED and Kicked{moved}, in order. Appended on the client's event loop. */
        final List<String> moves = new CopyOnWriteArrayList<>();
        XinClient client;

        Device(final String user, final String name)
        {
            this.user = user;
            this.name = name;
        }

        @Override
        public void onMessage(final Message message)
        {
            // The device's own sends enter its inbox too (seq from the ack); the account is about the others'.
            if (message.getFromDeviceId().equals(name) && message.getFromUserId() == client.userId())
            {
                return;
            }
            inbox.add(message);
        }

        @Override
        public void onLogin(final LoginOk ok)
        {
            logins.add(ok);
        }

        @Override
        public void onMoved(final String address)
        {
            moves.add(address);
        }

        SendAck send(final long to, final String clientMsgId, final String text) throws Exception
        {
            return client.send(to, clientMsgId, DemoCommand.text(text)).get(WAIT_MS, TimeUnit.MILLISECONDS);
        }

        void expect() throws InterruptedException
        {
            final Message message = inbox.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            if (message == null)
            {
                throw new IllegalStateException(user + " did not receive the expected message within " + WAIT_MS +
                    " ms");
            }
            out.printf("    %-5s received \"%s\": msg_id %d, seq %d in %s's inbox%n", user,
                message.getContent().getBody().toStringUtf8(), message.getMsgId(), message.getSeq(), user);
        }
    }
}
