package io.xin.storage;

/**
 * When a journal write reaches the disk. The write-ahead log is always on.
 */
public enum FsyncPolicy
{
    /**
     * The WAL is written to the OS page cache and not synced: a process crash loses nothing
     * written, a power loss or kernel crash can lose the last writes.
     */
    NEVER,
    /**
     * Every batch write fsyncs the WAL before it returns: nothing acknowledged is lost even on
     * power loss. One fsync covers a whole journal batch (group commit).
     */
    BATCH
}
