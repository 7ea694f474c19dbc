package io.xin.loadgen.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A single-node KRaft Kafka (one process that is both broker and controller) for the demo's cluster mode:
 * a child JVM of this JVM's classpath running {@code kafka.Kafka}, with its data in a temporary folder,
 * listening on loopback on ephemeral ports. The internal topics (consumer offsets, transaction state) have
 * one replica, so consumer groups and transactions work on the one node.
 *
 * <p>{@link #start()} formats the storage with Kafka's storage tool (a first child JVM), starts the node and
 * returns once an admin client sees it as the cluster's one broker. {@link #close()} stops it and deletes
 * its data.
 */
public final class LocalKafka implements AutoCloseable
{
    /** How long {@link #start()} waits for the storage tool, and then for the node to serve clients. */
    public static final long START_TIMEOUT_MS = 60_000;
    /** How long {@link #close()} waits for a clean shutdown before it kills the node. */
    private static final long STOP_GRACE_MS = 15_000;
    private static final String HOST = "127.0.0.1";

    /** The node's JVM; owned by whoever started it, who closes it. */
    private final Process process;
    /** Data, configuration and the node's log; deleted by {@link #close()}. */
    private final Path dir;
    private final String bootstrapServers;

    private LocalKafka(final Process process, final Path dir, final String bootstrapServers)
    {
        this.process = process;
        this.dir = dir;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Format a new node's storage in a temporary folder, start it in a child JVM and wait until it serves
     * clients.
     *
     * @return the running node.
     * @throws IOException           if the folder or the child JVMs cannot be made.
     * @throws IllegalStateException if the storage tool fails, or the node exits or does not serve clients
     *                               within {@link #START_TIMEOUT_MS}; the message carries the node's log.
     */
    public static LocalKafka start() throws IOException, InterruptedException
    {
        final Path dir = Files.createTempDirectory("xin-kafka-");
        try
        {
            final int brokerPort = freePort();
            final int controllerPort = freePort();
            final Path config = dir.resolve("server.properties");
            Files.writeString(config, serverProperties(dir.resolve("data"), brokerPort, controllerPort),
                StandardCharsets.UTF_8);

            format(dir, config);

            final Path log = dir.resolve("kafka.log");
            final Process process = new ProcessBuilder(javaCommand("kafka.Kafka", config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
            final LocalKafka kafka = new LocalKafka(process, dir, HOST + ":" + brokerPort);
            try
            {
                kafka.awaitReady(brokerPort, log);
                return kafka;
            }
            catch (final IOException | InterruptedException | RuntimeException ex)
            {
                kafka.close();
                throw ex;
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            deleteQuietly(dir);
            throw ex;
        }
    }

    /**
     * @return the node's client address, {@code 127.0.0.1:port}.
     */
    public String bootstrapServers()
    {
        return bootstrapServers;
    }

    /**
     * @return the node's process, to watch for its exit.
     */
    public ProcessHandle process()
    {
        return process.toHandle();
    }

    /** @return the node's folder (configuration, data, log). */
    public Path dir()
    {
        return dir;
    }

    /**
     * Ask the node to stop (SIGTERM: Kafka's shutdown hook closes its logs cleanly), kill it if it has not
     * stopped within a grace period, and delete its folder.
     */
    @Override
    public void close()
    {
        process.destroy();
        try
        {
            if (!process.waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(dir);
    }

    /**
     * The node's configuration: one process in both roles, a static one-voter quorum, loopback listeners,
     * and internal topics with one replica so that groups and transactions work on a single node.
     */
    static String serverProperties(final Path dataDir, final int brokerPort, final int controllerPort)
    {
        return String.join("\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@" + HOST + ":" + controllerPort,
            "listeners=PLAINTEXT://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort,
            "advertised.listeners=PLAINTEXT://" + HOST + ":" + brokerPort,
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            // Properties files take backslashes as escapes; forward slashes work on every platform.
            "log.dirs=" + dataDir.toAbsolutePath().toString().replace('\\', '/'),
            "num.partitions=1",
            "default.replication.factor=1",
            "min.insync.replicas=1",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=8",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=8",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            // The demo's first consumer joins at once instead of after the default 3 s wait for others.
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "");
    }

    /** Run Kafka's storage tool to give the data folder a cluster id and the quorum's first metadata. */
    private static void format(final Path dir, final Path config) throws IOException, InterruptedException
    {
        final Path log = dir.resolve("format.log");
        final Process format = new ProcessBuilder(javaCommand("kafka.tools.StorageTool",
            "format", "--cluster-id", Uuid.randomUuid().toString(), "--config", config.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        if (!format.waitFor(START_TIMEOUT_MS, TimeUnit.MILLISECONDS))
        {
            format.destroyForcibly().waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
            throw new IllegalStateException("the Kafka storage tool did not finish within " + START_TIMEOUT_MS +
                " ms:\n" + Files.readString(log));
        }
        if (format.exitValue() != 0)
        {
            throw new IllegalStateException("the Kafka storage tool exited with " + format.exitValue() + ":\n" +
                Files.readString(log));
        }
    }

    /**
     * Wait until the broker port accepts connections and an admin client sees one broker in the cluster
     * (the port opens before the broker has caught up with the metadata and been unfenced).
     */
    private void awaitReady(final int brokerPort, final Path log) throws IOException, InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!accepts(brokerPort))
        {
            checkAlive(log);
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException("Kafka did not listen on " + bootstrapServers + " within " +
                    START_TIMEOUT_MS + " ms:\n" + Files.readString(log));
            }
            // Nothing to wait on but the port itself.
            Thread.sleep(100);
        }
        try (Admin admin = Admin.create(Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000)))
        {
            while (true)
            {
                checkAlive(log);
                try
                {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty())
                    {
                        return;
                    }
                }
                catch (final ExecutionException | TimeoutException notYet)
                {
                    // Not serving yet: try again until the deadline.
                }
                if (System.nanoTime() > deadlineNs)
                {
                    throw new IllegalStateException("Kafka on " + bootstrapServers + " did not serve clients within " +
                        START_TIMEOUT_MS + " ms:\n" + Files.readString(log));
                }
                Thread.sleep(100);
            }
        }
    }

    private void checkAlive(final Path log) throws IOException
    {
        if (!process.isAlive())
        {
            throw new IllegalStateException("Kafka exited with " + process.exitValue() + ":\n" + Files.readString(log));
        }
    }

    private static boolean accepts(final int port)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        }
        catch (final IOException notYet)
        {
            return false;
        }
    }

    /**
     * A JVM of this JVM's Java and classpath running a Kafka main class. Its heap is bounded (a node with the
     * demo's load needs little) and its root log level is WARN through the project's logback.xml.
     */
    private static List<String> javaCommand(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xms128m", "-Xmx512m",
            "-DXIN_LOG_LEVEL=WARN",
            "-cp", System.getProperty("java.class.path"),
            mainClass));
        command.addAll(List.of(args));
        return command;
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    private static void deleteQuietly(final Path dir)
    {
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException | UncheckedIOException ignore)
        {
            // A temporary folder left behind is not worth failing the demo for.
        }
    }
}
