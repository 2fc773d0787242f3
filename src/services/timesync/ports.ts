/** chronyd answers NTP on this UDP port when timesync serves the LAN. */
export const ntpPort = 123;
