package io.xin.media;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A media store that passes every call to another: tests extend it and change only the calls they stage (a failing
 * delete, a held read), so the rest of the contract stays the wrapped store's.
 */
public class ForwardingMediaStore implements MediaStore
{
    protected final MediaStore store;

    public ForwardingMediaStore(final MediaStore store)
    {
        this.store = store;
    }

    @Override
    public String createUpload(final UploadRequest request)
    {
        return store.createUpload(request);
    }

    @Override
    public long offset(final String uploadId)
    {
        return store.offset(uploadId);
    }

    @Override
    public Optional<UploadStatus> upload(final String uploadId)
    {
        return store.upload(uploadId);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final ByteBuffer chunk)
    {
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public AppendResult append(final String uploadId, final long offset, final InputStream chunk) throws IOException
    {
        return store.append(uploadId, offset, chunk);
    }

    @Override
    public boolean deleteUpload(final String uploadId)
    {
        return store.deleteUpload(uploadId);
    }

    @Override
    public List<String> expiredUploads(final Instant before)
    {
        return store.expiredUploads(before);
    }

    @Override
    public Optional<BlobInfo> stat(final String blobId)
    {
        return store.stat(blobId);
    }

    @Override
    public InputStream read(final String blobId, final ByteRange range)
    {
        return store.read(blobId, range);
    }

    @Override
    public boolean deleteBlob(final String blobId)
    {
        return store.deleteBlob(blobId);
    }

    @Override
    public boolean deleteIfUnreferencedSince(final String blobId, final Instant before)
    {
        return store.deleteIfUnreferencedSince(blobId, before);
    }

    @Override
    public long usage(final long ownerId)
    {
        return store.usage(ownerId);
    }

    @Override
    public boolean touch(final String blobId, final Instant at)
    {
        return store.touch(blobId, at);
    }

    @Override
    public List<String> unreferencedSince(final Instant before, final int limit)
    {
        return store.unreferencedSince(before, limit);
    }

    @Override
    public Optional<URI> presignedRead(final String blobId, final Instant expiresAt)
    {
        return store.presignedRead(blobId, expiresAt);
    }

    @Override
    public boolean signsDirectUploads()
    {
        return store.signsDirectUploads();
    }

    @Override
    public Optional<DirectUpload> createDirectUpload(final UploadRequest request)
    {
        return store.createDirectUpload(request);
    }

    @Override
    public Optional<DirectUpload> directUpload(final String uploadId)
    {
        return store.directUpload(uploadId);
    }

    @Override
    public Optional<BlobInfo> completeDirectUpload(final long ownerId, final String blobId)
    {
        return store.completeDirectUpload(ownerId, blobId);
    }

    @Override
    public void close()
    {
        store.close();
    }
}
