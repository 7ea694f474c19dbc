/**
 * The bare Netty relay: the reference the switch is measured against. It speaks just enough of Xin's
 * framing for the chat scenario to drive it: a Login is accepted without checking the token's
 * signature, and each Send is forwarded to the recipient as a Deliver. No storage, no acks.
 */
package io.xin.loadgen.relay;
