package io.xin.media.http;

import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.MediaStore;
import io.xin.media.UploadRequest;
import io.xin.media.UploadStatus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The store as the server sees it: every call is recorded unless it runs on one of the server's file threads, so
 * a test proves that no event loop (nor any other thread) ever calls the store. Reads of a blob's stream are checked
 * the same way.
 */
final class FileThreadsOnlyStore implements MediaStore
{
    private final MediaStore store;
    private final List<String> violations = new CopyOnWriteArrayList<>();

    FileThreadsOnlyStore(final MediaStore store)
    {
        this.store = store;
    }

    /** @return the calls made off the file threads: the method and the thread. */
    List<String> violations()
    {
        return violations;
    }

    private void check(final String method)
    {
        final String thread = Thread.currentThread().getName();
        if (!thread.startsWith("xin-media-file"))
        {
            violations.add(method + " on " + thread);
        }
    }

    @Override
    public String createUpload(final UploadRequest request)
    {
        check("createUpload");
        return store.createUpload(request);
    }

    @Override
    public long offset(final String uploadId)
    {
        check("offset");
        return store.offset(uploadId);
    }

    @Override
    public Optional<UploadStatus> upload(final String uploadId)
    {
        check("upload");
        return store.upload(uploadId);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final ByteBuffer chunk)
    {
        check("append");
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final InputStream chunk) throws IOException
    {
        check("append");
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public boolean deleteUpload(final String uploadId)
    {
        check("deleteUpload");
        return store.deleteUpload(uploadId);
    }

    @Override
    public List<String> expiredUploads(final Instant before)
    {
        check("expiredUploads");
        return store.expiredUploads(before);
    }

    @Override
    public Optional<BlobInfo> stat(final String blobId)
    {
        check("stat");
        return store.stat(blobId);
    }

    @Override
    public InputStream read(final String blobId, final ByteRange range)
    {
        check("read");
        final InputStream in = store.read(blobId, range);
        return new InputStream()
        {
            @Override
            public int read() throws IOException
            {
                check("read of a blob");
                return in.read();
            }

            @Override
            public int read(final byte[] bytes, final int offset, final int length) throws IOException
            {
                check("read of a blob");
                return in.read(bytes, offset, length);
            }

            @Override
            public void close() throws IOException
            {
                check("close of a blob");
                in.close();
            }
        };
    }

    @Override
    public boolean deleteBlob(final String blobId)
    {
        check("deleteBlob");
        return store.deleteBlob(blobId);
    }

    @Override
    public boolean deleteIfUnreferencedSince(final String blobId, final Instant before)
    {
        check("deleteIfUnreferencedSince");
        return store.deleteIfUnreferencedSince(blobId, before);
    }

    @Override
    public long usage(final long ownerId)
    {
        check("usage");
        return store.usage(ownerId);
    }

    @Override
    public boolean touch(final String blobId, final Instant at)
    {
        check("touch");
        return store.touch(blobId, at);
    }

    @Override
    public List<String> unreferencedSince(final Instant before, final int limit)
    {
        check("unreferencedSince");
        return store.unreferencedSince(before, limit);
    }

    @Override
    public void close()
    {
        store.close();
    }
}
