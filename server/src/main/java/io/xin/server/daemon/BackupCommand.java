package io.xin.server.daemon;

import io.xin.server.admin.AdminServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code xind backup}: asks a running switch, through its admin port, for an online backup of its store (a
 * RocksDB checkpoint) into a directory of the switch's machine.
 * <pre>
 *   exit 0  the backup is written
 *   exit 1  the switch refused it or it failed (its answer on stderr)
 * </pre>
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
    description = {"Write an online, consistent backup of a running switch's store (a RocksDB checkpoint) into a " +
        "directory, through the switch's admin port (POST /backup). The switch keeps serving meanwhile.",
        "The directory must not exist; on the data directory's filesystem its files are hard links and it takes " +
        "little space until compactions replace the originals. Restore it with 'restore'."})
public final class BackupCommand implements Callable<Integer>
{
    @Option(names = "--admin", description = "The switch's admin host:port (default: ${DEFAULT-VALUE}).")
    String admin = "127.0.0.1:7701";

    @Option(names = "--to", required = true, description = "The backup's directory, on the switch's machine; " +
        "made absolute against this command's working directory. Must not exist; its parent must.")
    Path to;

    @Option(names = "--admin-token-file", description = "The switch's admin-token-file, when it has one: the " +
        "backup is a change and is sent with its bearer token.")
    Path adminTokenFile;

    @Option(names = "--timeout-seconds", description = "How long to wait for the backup (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 3600;

    @Override
    public Integer call() throws IOException, InterruptedException
    {
        final String dir = to.toAbsolutePath().normalize().toString();
        final URI uri = URI.create("http://" + admin + "/backup?dir=" + URLEncoder.encode(dir, StandardCharsets.UTF_8));
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds))
            .POST(HttpRequest.BodyPublishers.noBody());
        if (adminTokenFile != null)
        {
            request.header("Authorization", "Bearer " + AdminServer.readToken(adminTokenFile));
        }
        final HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 200)
        {
            System.out.print(answer.body());
            return 0;
        }
        System.err.print("backup refused (" + answer.statusCode() + "): " + answer.body());
        return ServerCommand.EXIT_FAILED;
    }
}
