package io.xin.client.media;

/**
 * How far an upload or a download is. Called on the thread doing the transfer, after each chunk the server
 * acknowledged (upload) or each buffer read (download), and after a resume with where it resumes from; so the
 * count can go back after a failure only if the server lost bytes. Must be quick and must not throw.
 */
@FunctionalInterface
public interface TransferProgress
{
    /** Ignores progress. */
    TransferProgress NONE = (done, total) ->
    {
    };

    /**
     * @param doneBytes  bytes the server holds (upload) or bytes received (download).
     * @param totalBytes bytes in all.
     */
    void onProgress(long doneBytes, long totalBytes);
}
