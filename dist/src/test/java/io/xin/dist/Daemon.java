package io.xin.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged daemon run as a separate process: the tarball unpacked into a folder, {@code bin/xind}
 * started with a config file and an environment, its stdout and stderr captured in a file.
 */
final class Daemon implements AutoCloseable
{
    static final String SECRET = "dist-test-secret-of-at-least-32-bytes!!";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Path home;
    private final Path logFile;
    private final Path tmpDir;
    private final Process process;
    private final long startNs = System.nanoTime();

    private Daemon(final Path home, final Path logFile, final Path tmpDir, final Process process)
    {
        this.home = home;
        this.logFile = logFile;
        this.tmpDir = tmpDir;
        this.process = process;
    }

    /**
     * Unpacks the tarball built by this module's package phase.
     *
     * @param into an empty folder.
     * @return the install folder (holding bin/, conf/, lib/, systemd/).
     */
    static Path unpack(final Path into) throws IOException, InterruptedException
    {
        final Path tarball = Path.of(System.getProperty("xin.dist.tarball", "target/xin-dist.tar.gz"));
        if (!Files.isRegularFile(tarball))
        {
            throw new IllegalStateException("no tarball at " + tarball + ": run through Maven (mvn verify)");
        }
        final Process tar = new ProcessBuilder("tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", into.toString())
            .inheritIO().start();
        if (!tar.waitFor(60, TimeUnit.SECONDS) || tar.exitValue() != 0)
        {
            throw new IllegalStateException("tar failed on " + tarball);
        }
        try (var entries = Files.list(into))
        {
            return entries.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    /**
     * Starts {@code bin/xind} with the given flags; Netty's leak detector at paranoid in the daemon too, and a
     * {@code java.io.tmpdir} of its own beside the log file.
     */
    static Daemon start(final Path home, final Path logFile, final Map<String, String> env, final String... args)
        throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/xind").toString());
        command.addAll(List.of(args));
        final Path tmpDir = Files.createDirectories(logFile.resolveSibling(logFile.getFileName() + ".tmp"));
        final ProcessBuilder builder = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("XIN_"));
        builder.environment().put("XIN_HEAP", "192m");
        builder.environment().put("XIN_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid -XX:TieredStopAtLevel=1 " +
            "-Djava.io.tmpdir=" + tmpDir);
        // The tests message users they never befriended; a test's own environment may set it back.
        builder.environment().put("XIN_STRANGERS_ALLOWED_BY_DEFAULT", "true");
        builder.environment().putAll(env);
        return new Daemon(home, logFile, tmpDir, builder.start());
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }

    /**
     * Polls {@code /readyz} until it answers 200.
     */
    void awaitReady(final int adminPort, final long timeoutMs) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadlineNs)
        {
            if (!process.isAlive())
            {
                throw new AssertionError("daemon exited with " + process.exitValue() + " before ready:\n" + log());
            }
            try
            {
                if (get(adminPort, "/readyz").statusCode() == 200)
                {
                    return;
                }
            }
            catch (final IOException notYet)
            {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("daemon not ready within " + timeoutMs + " ms:\n" + log());
    }

    static HttpResponse<String> get(final int adminPort, final String path) throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(final int adminPort, final String path) throws IOException, InterruptedException
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    /** SIGTERM, as systemd sends it. */
    void terminate()
    {
        process.destroy();
    }

    /**
     * @return the exit status, or -1 when still running after the timeout.
     */
    int awaitExit(final long timeoutMs) throws InterruptedException
    {
        return process.waitFor(timeoutMs, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    long pid()
    {
        return process.pid();
    }

    long uptimeMs()
    {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    }

    String log()
    {
        try
        {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            return "(no log: " + ex + ")";
        }
    }

    /**
     * @return the shared objects in the daemon's {@code java.io.tmpdir}: native libraries it left behind.
     */
    List<Path> nativeLibrariesLeftInTmp() throws IOException
    {
        try (var files = Files.walk(tmpDir))
        {
            return files.filter(file -> file.getFileName().toString().endsWith(".so")).toList();
        }
    }

    Path home()
    {
        return home;
    }

    @Override
    public void close() throws InterruptedException
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
