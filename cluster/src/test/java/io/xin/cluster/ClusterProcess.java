package io.xin.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One cluster node in a child JVM ({@link ClusterSwitchMain}) on a fixed data dir, started again on the same port
 * after each kill, so the clients' seed addresses stay valid. {@link #kill()} is SIGKILL: no shutdown hook, no
 * leaving the group; {@link #pause()} and {@link #resume()} are SIGSTOP and SIGCONT. The child's output goes to
 * {@code <workDir>/<nodeId>-<start>.log}; its ready line and its owned shards are read from it as it comes.
 */
final class ClusterProcess implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 60_000;

    private final String bootstrapServers;
    private final String clusterName;
    private final String nodeId;
    private final int partitions;
    private final Path dataDir;
    private final Path workDir;
    /** 0 at first; then the bound port, so a restarted node listens where the clients know it. */
    private int port;
    private Process process;
    private int starts;
    /** The shards the child reported it owns last; empty when it is not running. Written by the reader thread. */
    private volatile List<Integer> owned = List.of();
    /** The port of the child's ready line, 0 before it. Written by the reader thread. */
    private volatile int readyPort;

    ClusterProcess(
        final String bootstrapServers, final String clusterName, final String nodeId, final int partitions,
        final Path dataDir, final Path workDir)
    {
        this.bootstrapServers = bootstrapServers;
        this.clusterName = clusterName;
        this.nodeId = nodeId;
        this.partitions = partitions;
        this.dataDir = dataDir;
        this.workDir = workDir;
    }

    /** Starts the child and waits until it listens and runs its cluster thread. */
    void start() throws IOException, InterruptedException
    {
        readyPort = 0;
        owned = List.of();
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m", "-XX:ActiveProcessorCount=2",
            "-cp", System.getProperty("java.class.path"), ClusterSwitchMain.class.getName(),
            bootstrapServers, clusterName, nodeId, Integer.toString(partitions), dataDir.toString(),
            Integer.toString(port)));
        starts++;
        final Path logFile = workDir.resolve(nodeId + "-" + starts + ".log");
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        process = child;
        final Thread reader = new Thread(() -> read(child, logFile), "child-" + nodeId + "-" + starts);
        reader.setDaemon(true);
        reader.start();
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (readyPort == 0)
        {
            if (!child.isAlive())
            {
                reader.join(5_000);
                throw new IllegalStateException(nodeId + " exited with " + child.exitValue() + " at start:\n" +
                    Files.readString(logFile));
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new IllegalStateException(nodeId + " did not start within " + START_TIMEOUT_MS + " ms");
            }
            Thread.sleep(10);
        }
        port = readyPort;
    }

    /** Copies the child's output to its log file, taking the ready line and the owned shards from it. */
    private void read(final Process child, final Path logFile)
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile), true))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                log.println(line);
                if (line.startsWith(ClusterSwitchMain.READY))
                {
                    readyPort = Integer.parseInt(line.substring(ClusterSwitchMain.READY.length()).trim());
                }
                else if (line.startsWith(ClusterSwitchMain.OWNS))
                {
                    owned = parse(line.substring(ClusterSwitchMain.OWNS.length()).trim());
                }
            }
        }
        catch (final IOException ignored)
        {
            // The child is gone.
        }
    }

    private static List<Integer> parse(final String list)
    {
        final String inner = list.substring(1, list.length() - 1).trim();
        final List<Integer> shards = new ArrayList<>();
        if (!inner.isEmpty())
        {
            for (final String shard : inner.split(","))
            {
                shards.add(Integer.parseInt(shard.trim()));
            }
        }
        return List.copyOf(shards);
    }

    /**
     * Waits until the running nodes own every shard between them, each once, and each node some: by what they
     * reported last, so at most a report's interval late.
     */
    static void awaitBalanced(final List<ClusterProcess> nodes, final int partitions, final long timeoutMs)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final Set<Integer> owned = new HashSet<>();
            int count = 0;
            boolean everyNode = true;
            final List<String> view = new ArrayList<>();
            for (final ClusterProcess node : nodes)
            {
                final List<Integer> shards = node.owned();
                owned.addAll(shards);
                count += shards.size();
                everyNode &= !shards.isEmpty();
                view.add(node.nodeId() + "=" + shards);
            }
            if (owned.size() == partitions && count == partitions && everyNode)
            {
                return;
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("the nodes did not come to own the " + partitions + " shards: " + view);
            }
            Thread.sleep(10);
        }
    }

    /** SIGKILL, then wait for the process to be gone. */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            throw new IllegalStateException(nodeId + " survived SIGKILL");
        }
        owned = List.of();
    }

    /** SIGSTOP: the whole JVM stops, its sockets stay open, its group session runs out. */
    void pause() throws IOException, InterruptedException
    {
        signal("-STOP");
    }

    /** SIGCONT. */
    void resume() throws IOException, InterruptedException
    {
        signal("-CONT");
    }

    private void signal(final String signal) throws IOException, InterruptedException
    {
        final Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid()))
            .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0)
        {
            throw new IllegalStateException("kill " + signal + " " + process.pid() + " failed");
        }
    }

    /** Prints the last lines of each of the child's logs, to tell what a node did when a test failed. */
    void printLogs(final int lines)
    {
        if (running())
        {
            try
            {
                final Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
                    .toString(), Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
                System.out.println("---- threads of " + nodeId + ":\n" +
                    new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                jcmd.waitFor(30, TimeUnit.SECONDS);
            }
            catch (final IOException | InterruptedException ex)
            {
                System.out.println("---- no thread dump of " + nodeId + ": " + ex);
            }
        }
        for (int start = 1; start <= starts; start++)
        {
            final Path logFile = workDir.resolve(nodeId + "-" + start + ".log");
            try
            {
                final List<String> all = Files.readAllLines(logFile);
                System.out.println("---- " + logFile.getFileName() + " (last " + lines + " of " + all.size() +
                    " lines)");
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(System.out::println);
            }
            catch (final IOException ex)
            {
                System.out.println("---- " + logFile.getFileName() + ": " + ex);
            }
        }
    }

    boolean running()
    {
        return process != null && process.isAlive();
    }

    /** The shards the child said it owns last; empty when not running. */
    List<Integer> owned()
    {
        return running() ? owned : List.of();
    }

    String nodeId()
    {
        return nodeId;
    }

    int port()
    {
        return port;
    }

    int starts()
    {
        return starts;
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            // SIGCONT first, in case a test left it stopped; then SIGTERM, and SIGKILL if it does not go.
            try
            {
                resume();
            }
            catch (final IOException | RuntimeException ignored)
            {
                // Gone in between.
            }
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                process.waitFor(15, TimeUnit.SECONDS);
            }
        }
    }
}
