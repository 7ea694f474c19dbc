/**
 * Sessions: the per-connection login state machine, heartbeat, limits, and the frames the switch
 * sends.
 */
package io.xin.core.session;
