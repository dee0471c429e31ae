// The boot stage of the nRF52840 DK (PCA10056): the shared nRF wiring (NRFBoard) with this board's
// SoC addresses and the values of BoardConfig.swift, generated from Boards/nrf52840dk/board.yml and
// Layouts/nrf52840dk.yml. Built and size-checked here; not run on hardware by this project (no DK on
// these machines).
#if hasFeature(Embedded)
import NRFBoard

startNRFBootStage(boardWiring())  // Wiring.swift
#endif
