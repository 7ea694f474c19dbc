/**
 * The Xin wire protocol: limits shared by the server and clients. The schema lives in
 * {@code src/main/proto/xin.proto}; generated classes are in {@code io.xin.protocol.pb}.
 */
package io.xin.protocol;
