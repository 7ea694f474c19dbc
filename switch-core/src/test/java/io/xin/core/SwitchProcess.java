package io.xin.core;

import io.xin.storage.fault.KillPoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A switch in a child JVM ({@link ChildSwitch}) on a fixed data dir, started again on the same port
 * after each kill. {@link #kill()} is SIGKILL ({@link Process#destroyForcibly()} on Linux): no
 * shutdown hook, no close, no flush.
 */
final class SwitchProcess implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 30_000;

    private final Path dataDir;
    private final Path workDir;
    private final String fsync;
    private final int journalShards;
    /** Segment size, checkpoint bytes and checkpoint interval of the message log; null for the defaults. */
    private long[] logSettings;
    private int port;
    private Process process;
    private int starts;
    private long startNanos;

    SwitchProcess(final Path dataDir, final Path workDir, final String fsync)
    {
        this(dataDir, workDir, fsync, 1);
    }

    SwitchProcess(final Path dataDir, final Path workDir, final String fsync, final int journalShards)
    {
        this.dataDir = dataDir;
        this.workDir = workDir;
        this.fsync = fsync;
        this.journalShards = journalShards;
    }

    /**
     * Sets the message log's settings for the starts that follow: small segments and frequent checkpoints make
     * segments roll and be deleted within a test's seconds.
     */
    SwitchProcess logSettings(final long segmentBytes, final long checkpointBytes, final long checkpointIntervalMs)
    {
        logSettings = new long[]{ segmentBytes, checkpointBytes, checkpointIntervalMs };
        return this;
    }

    /**
     * Starts the child and waits until it listens.
     *
     * @param killPoint {@code POINT:N} to arm a {@link KillPoint} in the child, or null.
     */
    void start(final String killPoint) throws IOException, InterruptedException
    {
        if (!startUnlessHalted(killPoint))
        {
            throw new IllegalStateException("child switch halted at its kill point " + killPoint + " at start");
        }
    }

    /**
     * Starts the child and waits until it listens or halts at its kill point first: a point the child may reach
     * while it opens its store (a replay, the retention of segments the replay made redundant).
     *
     * @param killPoint {@code POINT:N} to arm a {@link KillPoint} in the child, or null.
     * @return true when the child listens, false when it halted at the kill point before.
     * @throws IllegalStateException if it exited otherwise, or neither listened nor halted in time.
     */
    boolean startUnlessHalted(final String killPoint) throws IOException, InterruptedException
    {
        final long beginNs = System.nanoTime();
        final Path portFile = launch(killPoint);
        final long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (!Files.exists(portFile))
        {
            if (!process.isAlive())
            {
                if (killPoint != null && process.exitValue() == KillPoint.HALT_EXIT_CODE)
                {
                    return false;
                }
                throw new IllegalStateException("child switch exited with " + process.exitValue() + " at start; see " +
                    workDir.resolve("child-" + starts + ".log") + ":\n" +
                    Files.readString(workDir.resolve("child-" + starts + ".log")));
            }
            if (System.currentTimeMillis() > deadline)
            {
                throw new IllegalStateException("child switch did not start within " + START_TIMEOUT_MS + " ms");
            }
            Thread.sleep(10);
        }
        port = Integer.parseInt(Files.readString(portFile).trim());
        startNanos += System.nanoTime() - beginNs;
        return true;
    }

    /** Starts the child process; returns the file it writes its port to once it listens. */
    private Path launch(final String killPoint) throws IOException
    {
        final Path portFile = workDir.resolve("port");
        Files.deleteIfExists(portFile);
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m"));
        // A temporary folder of the child's own, to show that a killed child leaves no native library in it.
        command.add("-Djava.io.tmpdir=" + Files.createDirectories(tmpDir()));
        if (killPoint != null)
        {
            command.add("-D" + KillPoint.PROPERTY + "=" + killPoint);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ChildSwitch.class.getName(),
            dataDir.toString(), Integer.toString(port), fsync, portFile.toString(),
            Integer.toString(journalShards)));
        if (logSettings != null)
        {
            for (final long setting : logSettings)
            {
                command.add(Long.toString(setting));
            }
        }
        starts++;
        process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("child-" + starts + ".log").toFile())
            .start();
        return portFile;
    }

    /** Time spent starting children, from the command to a listening switch. */
    long startMs()
    {
        return startNanos / 1_000_000;
    }

    /** The children's {@code java.io.tmpdir}. */
    Path tmpDir()
    {
        return workDir.resolve("tmp");
    }

    /**
     * @return the shared objects in the children's temporary folder: RocksDB's and Netty's native libraries
     * that a killed child left behind (none: RocksDB's is loaded from a stable path, Netty deletes its own
     * right after loading it).
     */
    List<Path> nativeLibrariesLeftInTmp() throws IOException
    {
        try (var files = Files.walk(tmpDir()))
        {
            return files.filter(file -> file.getFileName().toString().endsWith(".so")).toList();
        }
    }

    /** SIGKILL, then wait for the process to be gone. */
    void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Waits for the child to halt itself at its kill point.
     *
     * @return its exit code, or -1 when it did not halt in time (then it is killed).
     */
    int awaitHalt(final long timeoutMs) throws InterruptedException
    {
        if (process.waitFor(timeoutMs, TimeUnit.MILLISECONDS))
        {
            return process.exitValue();
        }
        kill();
        return -1;
    }

    int port()
    {
        return port;
    }

    int starts()
    {
        return starts;
    }

    Path dataDir()
    {
        return dataDir;
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process != null && process.isAlive())
        {
            // SIGTERM: the child's graceful stop is not what is under test, so do not wait long for it.
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                kill();
            }
        }
    }
}
