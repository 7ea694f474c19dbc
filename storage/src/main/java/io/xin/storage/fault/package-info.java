/**
 * Test only: the points on a message's path where a crash test halts the process ({@code KillPoint}). A leaf every
 * layer may reach; inert unless the system property arms it.
 */
package io.xin.storage.fault;
