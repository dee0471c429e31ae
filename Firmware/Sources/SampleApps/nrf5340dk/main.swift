// The nRF5340 DK sample application (application core): says which version it is on the console
// UARTE, then echoes and answers R (recovery), B (reset) and C (confirm), as QEMU's sample
// applications do. The wiring is the boot stage's (Wiring.swift and BoardConfig.swift are links to
// its files). Built and signed here; not run on hardware by this project.
#if hasFeature(Embedded)
import NRFBoard

runNRFSampleApplication(boardWiring())
#endif
