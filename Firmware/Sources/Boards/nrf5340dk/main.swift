// The boot stage of the nRF5340 DK (PCA10095), application core (secure aliases): the shared nRF wiring (NRFBoard) with this board's
// SoC addresses and the values of BoardConfig.swift, generated from Boards/nrf5340dk/board.yml and
// Layouts/nrf5340dk.yml. Built and size-checked here; not run on hardware by this project (no DK on
// these machines).
#if hasFeature(Embedded)
import NRFBoard

startNRFBootStage(boardWiring())  // Wiring.swift
#endif
