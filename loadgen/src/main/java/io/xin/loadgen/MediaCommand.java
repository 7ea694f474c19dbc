package io.xin.loadgen;

import io.xin.loadgen.media.MediaRun;
import io.xin.loadgen.media.SizeMix;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code xin loadgen media}: 1:1 text chat at an open-loop rate while the same users upload and download media
 * at another; or the text alone ({@code --text-only}), for the reference the chat's latency is compared with.
 */
@Command(name = "media", mixinStandardHelpOptions = true,
    description = {"U users online chat at an open-loop total rate R of 1:1 text messages while they upload files " +
        "of a size mix at --uploads-per-second (a share of them cut once mid-upload and resumed), send them to " +
        "each other, and the recipients download them. Reports uploads/s, downloads/s, MB/s, resumes, upload and " +
        "download latency, and the text messages' send→deliver latency beside the media.",
        "Run it again with --text-only (same --seed) for the reference: the text latency without media. The " +
        "switch must have media on; --start embedded or --start switch turns it on in the switch it starts."})
final class MediaCommand extends ScenarioCommand
{
    @Option(names = "--uploads-per-second", description = "Uploads a second, all users together (default: " +
        "${DEFAULT-VALUE}).")
    double uploadsPerSecond = 10;

    @Option(names = "--sizes", description = "File sizes by weight, size:weight,... with k and m for KiB and MiB; " +
        "up to 128k voice notes, up to 4m photos, above videos (default: ${DEFAULT-VALUE}).")
    String sizes = SizeMix.DEFAULT;

    @Option(names = "--cut-fraction", description = "Share of the uploads whose connection is cut once mid-upload, " +
        "then resumed (default: ${DEFAULT-VALUE}).")
    double cutFraction = 0.1;

    @Option(names = "--encrypt", description = "Encrypt every file end to end (AES-256-GCM) before it uploads and " +
        "decrypt it after it downloads, as the apps do.")
    boolean encrypt;

    @Option(names = "--transfer-threads", description = "Uploads and downloads at once (default: ${DEFAULT-VALUE}).")
    int transferThreads = 8;

    @Option(names = "--media-drain", description = "Longest wait in seconds after the last upload was scheduled for " +
        "the transfers in flight (default: ${DEFAULT-VALUE}).")
    double mediaDrainS = 60;

    @Option(names = "--text-only", description = "No media: the text chat alone, the reference its latency beside " +
        "media is compared with.")
    boolean textOnly;

    @Override
    void validateScenario()
    {
        require(options.users >= 2, "--users must be at least 2");
        require(uploadsPerSecond > 0 && Double.isFinite(uploadsPerSecond), "--uploads-per-second must be positive");
        require(cutFraction >= 0 && cutFraction <= 1, "--cut-fraction must be 0..1: " + cutFraction);
        require(transferThreads >= 1, "--transfer-threads must be positive");
        require(mediaDrainS >= 0, "--media-drain must not be negative");
        SizeMix.parse(sizes);
        // Media on in a started target for the reference too: both runs meet the same switch.
        options.media = true;
    }

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }
        final ChatRun.Settings chatSettings = ChatCommand.chatSettings(options, serverPid);
        final ChatRun chat = new ChatRun(fleet, chatSettings, measurements);
        MediaRun media = null;
        if (!textOnly)
        {
            final MediaRun.Settings settings = new MediaRun.Settings();
            settings.uploadsPerSecond = uploadsPerSecond;
            settings.sizes = sizes;
            settings.cutFraction = cutFraction;
            settings.encrypt = encrypt;
            settings.transferThreads = transferThreads;
            settings.warmupMs = chatSettings.warmupMs;
            settings.durationMs = chatSettings.durationMs;
            settings.seed = options.seed;
            media = new MediaRun(fleet, settings);
            chat.others(media);
            media.start();
        }
        final ChatRun.Outcome outcome = chat.run();
        int exit = ChatCommand.summarize(chatSettings, outcome, measurements, summary);
        summary.put("mode", textOnly ? "text only" : "text and media")
            .put("text_deliver_p99_us", measurements.deliverLatencyUs().getTotalCount() == 0 ? 0 :
                measurements.deliverLatencyUs().getValueAtPercentile(99));
        if (media != null)
        {
            final MediaRun.Outcome result = media.finish((long)(mediaDrainS * 1_000));
            exit = worse(exit, summarize(result, summary));
        }
        return exit;
    }

    /**
     * Put a media run's outcome in the summary.
     *
     * @return the exit code: {@link #EXIT_BROKEN_PROMISE} when a download did not check out, {@link #EXIT_FAILED}
     *         when transfers failed or media messages were never downloaded, else 0.
     */
    private int summarize(final MediaRun.Outcome media, final Summary summary)
    {
        summary.put("uploads_per_second_target", uploadsPerSecond)
            .put("size_mix", sizes)
            .put("cut_fraction", cutFraction)
            .put("encrypt", encrypt)
            .put("uploads", media.uploads)
            .put("upload_failures", media.uploadFailures)
            .put("cut_uploads", media.cutUploads)
            .put("cuts", media.cuts)
            .put("resumes", media.resumes)
            .put("media_sent", media.mediaSent)
            .put("media_send_failures", media.sendFailures)
            .put("downloads", media.downloads)
            .put("download_failures", media.downloadFailures)
            .put("corrupt_downloads", media.corrupt)
            .put("duplicate_media_messages", media.duplicates)
            .put("undownloaded", media.undownloaded)
            .put("unfinished_transfers", media.unfinished)
            .put("uploads_per_s", media.uploadsPerSecond)
            .put("downloads_per_s", media.downloadsPerSecond)
            .put("media_mb_per_s", media.megabytesPerSecond)
            .put("media_bytes_up", media.bytesUp)
            .put("media_bytes_down", media.bytesDown)
            .put("upload_latency_us", Summary.latency(media.uploadLatencyUs))
            .put("download_latency_us", Summary.latency(media.downloadLatencyUs))
            .put("media_failure_reasons", media.failureReasons);
        final boolean failed = media.uploadFailures > 0 || media.downloadFailures > 0 || media.sendFailures > 0 ||
            media.undownloaded > 0 || media.unfinished > 0;
        final String text = String.valueOf(summary.get("result"));
        if (media.corrupt > 0)
        {
            summary.put("result", "FAILED: " + media.corrupt + " download(s) did not check out; text: " + text);
            return EXIT_BROKEN_PROMISE;
        }
        if (failed)
        {
            summary.put("result", String.format(Locale.ROOT, "media transfers failed (%d upload(s), %d download(s), " +
                "%d send(s), %d never downloaded); text: %s", media.uploadFailures, media.downloadFailures,
                media.sendFailures, media.undownloaded, text));
            return EXIT_FAILED;
        }
        return 0;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
