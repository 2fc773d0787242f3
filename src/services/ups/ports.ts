/** upsd's port: it listens on localhost only, which still takes the port on the host. */
export const upsdPort = 3493;
