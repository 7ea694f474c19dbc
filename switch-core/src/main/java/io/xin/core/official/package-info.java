/**
 * Official accounts (the protocol's channels; not Netty channels) after the journal: the registry of online
 * followers and the pacer that pushes each new post to them at a bounded rate, off the journal and dispatcher
 * threads, so a post to hundreds of thousands of followers does not delay 1:1 traffic. Posts are stored once (fan
 * out on read); these pushes are hints.
 */
package io.xin.core.official;
