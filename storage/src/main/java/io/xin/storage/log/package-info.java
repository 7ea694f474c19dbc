/**
 * The message log: per journal shard, an append-only run of CRC'd entries in segment files, which the switch's
 * RocksDB state is built from and rebuilt from after a crash. {@link io.xin.storage.log.MessageLog} is the seam;
 * {@link io.xin.storage.log.SegmentedLog} keeps it in local files.
 */
package io.xin.storage.log;
