// The nRF5340 DK sample application: says which version it is on UARTE0 (TX P0.20, RX P0.22 as in
// Boards/nrf5340dk/board.yml), then waits. Built and signed here; not run on hardware by this project.
#if hasFeature(Embedded)
import NRF
import NRFBoard

runNRFSampleApplication(name: "nrf5340dk", uarteBase: 0x5000_8000, tx: NRFPin(pin: 20), rx: NRFPin(pin: 22))
#endif
