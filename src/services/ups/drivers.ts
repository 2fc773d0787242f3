/**
 * The NUT drivers a host can run, each with the Debian 12 package that installs it in /lib/nut:
 * nut-server's (USB and serial UPSes), and the network and bus drivers Debian packages apart
 * (snmp-ups in nut-snmp, netxml-ups in nut-xml, ...), which the ups service then installs too. A
 * driver name outside this list would pass the stack, then fail nut-driver@<ups>.service on the
 * host. `test/services/ups/tools/nut-drivers.test.ts` holds it to the installed packages.
 */
export const nutDriverPackages: Readonly<Record<string, string>> = {
  adelsystem_cbi: "nut-modbus",
  al175: "nut-server",
  apcsmart: "nut-server",
  "apcsmart-old": "nut-server",
  "apcupsd-ups": "nut-server",
  bcmxcp: "nut-server",
  bcmxcp_usb: "nut-server",
  belkin: "nut-server",
  belkinunv: "nut-server",
  bestfcom: "nut-server",
  bestfortress: "nut-server",
  bestuferrups: "nut-server",
  bestups: "nut-server",
  blazer_ser: "nut-server",
  blazer_usb: "nut-server",
  clone: "nut-server",
  "clone-outlet": "nut-server",
  "dummy-ups": "nut-server",
  etapro: "nut-server",
  everups: "nut-server",
  gamatronic: "nut-server",
  generic_modbus: "nut-modbus",
  genericups: "nut-server",
  "huawei-ups2000": "nut-modbus",
  isbmex: "nut-server",
  ivtscd: "nut-server",
  liebert: "nut-server",
  "liebert-esp2": "nut-server",
  masterguard: "nut-server",
  metasys: "nut-server",
  "mge-shut": "nut-server",
  "mge-utalk": "nut-server",
  microdowell: "nut-server",
  "microsol-apc": "nut-server",
  "netxml-ups": "nut-xml",
  "nut-ipmipsu": "nut-ipmi",
  nutdrv_atcl_usb: "nut-server",
  nutdrv_qx: "nut-server",
  "nutdrv_siemens-sitop": "nut-server",
  oneac: "nut-server",
  optiups: "nut-server",
  phoenixcontact_modbus: "nut-modbus",
  powercom: "nut-server",
  "powerman-pdu": "nut-powerman-pdu",
  powerpanel: "nut-server",
  rhino: "nut-server",
  richcomm_usb: "nut-server",
  riello_ser: "nut-server",
  riello_usb: "nut-server",
  safenet: "nut-server",
  "snmp-ups": "nut-snmp",
  socomec_jbus: "nut-modbus",
  solis: "nut-server",
  tripplite: "nut-server",
  tripplite_usb: "nut-server",
  tripplitesu: "nut-server",
  upscode2: "nut-server",
  "usbhid-ups": "nut-server",
  victronups: "nut-server",
};

/** The Debian package that installs `driver`, or undefined for a name no package installs. */
export function nutDriverPackage(driver: string): string | undefined {
  return Object.hasOwn(nutDriverPackages, driver) ? nutDriverPackages[driver] : undefined;
}
