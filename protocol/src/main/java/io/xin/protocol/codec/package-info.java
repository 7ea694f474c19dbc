/**
 * The frame codec: varint32 length prefix followed by one protobuf {@code Frame}, with a capped,
 * fail-fast decoder.
 */
package io.xin.protocol.codec;
