// The nRF52840 DK sample application: says which version it is on UARTE0 (TX P0.06, RX P0.08 as in
// Boards/nrf52840dk/board.yml), then waits. Built and signed here; not run on hardware by this project.
#if hasFeature(Embedded)
import NRF
import NRFBoard

runNRFSampleApplication(name: "nrf52840dk", uarteBase: 0x4000_2000, tx: NRFPin(pin: 6), rx: NRFPin(pin: 8))
#endif
