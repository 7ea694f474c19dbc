package io.xin.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;

/**
 * The child load generator processes of a run that needs more sessions than one process may hold open
 * files for. Each child is a JVM of the same classpath running the same scenario on its own slice of
 * users and its own source addresses; all log in, then start together on a word from the parent
 * (a line on their stdin), and each writes its JSON summary with its latency histograms in
 * HdrHistogram's compressed form for the parent to merge.
 */
final class Children implements AutoCloseable
{
    static final String READY = "XIN-LOADGEN-READY";
    static final String GO = "GO";
    static final String ACK_HISTOGRAM = "_ack_histogram";
    static final String DELIVER_HISTOGRAM = "_deliver_histogram";
    /** The JVM flags a child inherits: the collector, the heap and young generation sizes, the metaspace. */
    static final String COLLECTOR_FLAG = "-XX:[+-]Use\\w*GC|-XX:[+-]UseAdaptiveSizePolicy|-XX:[+-]PerfDisableSharedMem" +
        "|-XX:(Initial|Max|Min)RAMPercentage=.*|-XX:(NewRatio|NewSize|MaxNewSize|MetaspaceSize)=.*|-Xm[sxn].*";

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> outputs = new ArrayList<>();
    private final CountDownLatch ready;

    /**
     * Start the children.
     *
     * @param argsPerChild each child's command line after {@code xin}.
     * @param workDir      where their outputs and logs go.
     */
    Children(final List<List<String>> argsPerChild, final Path workDir) throws IOException
    {
        ready = new CountDownLatch(argsPerChild.size());
        for (int i = 0; i < argsPerChild.size(); i++)
        {
            final Path output = workDir.resolve("child-" + (i + 1) + ".json");
            final List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(collectorFlags());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadgenMain.class.getName()));
            command.addAll(argsPerChild.get(i));
            command.addAll(List.of("--child-output", output.toString()));
            final Process process = new ProcessBuilder(command)
                .redirectError(workDir.resolve("child-" + (i + 1) + ".err").toFile())
                .start();
            processes.add(process);
            outputs.add(output);
            final Thread reader = new Thread(() -> watch(process), "xin-loadgen-child-" + (i + 1));
            reader.setDaemon(true);
            reader.start();
        }
    }

    /**
     * @return this JVM's collector and heap choices ({@code -XX:+UseParallelGC}, {@code -Xmx...}, the young
     * generation's size, ...), for the children to measure alike.
     */
    static List<String> collectorFlags()
    {
        final List<String> flags = new ArrayList<>();
        for (final String argument : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (argument.matches(COLLECTOR_FLAG))
            {
                flags.add(argument);
            }
        }
        return flags;
    }

    private void watch(final Process process)
    {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = lines.readLine()) != null)
            {
                if (line.equals(READY))
                {
                    ready.countDown();
                }
            }
        }
        catch (final IOException ignore)
        {
            // The child is gone; awaitReady or awaitResults says so.
        }
    }

    /**
     * Wait until every child logged in its sessions.
     */
    void awaitReady(final long timeoutMs) throws InterruptedException
    {
        if (!ready.await(timeoutMs, TimeUnit.MILLISECONDS))
        {
            throw new IllegalStateException("child load generators not ready within " + timeoutMs + " ms");
        }
    }

    /**
     * Tell every child to start its scenario.
     */
    void go() throws IOException
    {
        for (final Process process : processes)
        {
            final OutputStream in = process.getOutputStream();
            in.write((GO + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }
    }

    /**
     * Wait for every child to finish and read its summary.
     */
    List<JsonNode> awaitResults(final long timeoutMs) throws InterruptedException, IOException
    {
        final List<JsonNode> results = new ArrayList<>();
        final ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < processes.size(); i++)
        {
            if (!processes.get(i).waitFor(timeoutMs, TimeUnit.MILLISECONDS) || !Files.exists(outputs.get(i)))
            {
                throw new IllegalStateException("child load generator " + (i + 1) + " did not finish its run");
            }
            results.add(json.readTree(outputs.get(i).toFile()));
        }
        return results;
    }

    @Override
    public void close()
    {
        for (final Process process : processes)
        {
            process.destroy();
        }
    }

    /**
     * Called in a child after its sessions logged in: tell the parent and wait for its word.
     */
    static void readyAndWait() throws IOException
    {
        System.out.println(READY);
        System.out.flush();
        final String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (!GO.equals(line))
        {
            throw new IllegalStateException("the parent load generator went away");
        }
    }

    static String encode(final Histogram histogram)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
    }

    static Histogram decode(final String encoded)
    {
        try
        {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(encoded)), 0);
        }
        catch (final DataFormatException ex)
        {
            throw new IllegalStateException("a child's histogram is corrupt", ex);
        }
    }
}
