// The boot stage of the nRF52840 DK (PCA10056): the shared nRF wiring (NRFBoard) with this board's
// SoC addresses and the values of BoardConfig.swift, generated from Boards/nrf52840dk/board.yml and
// Layouts/nrf52840dk.yml. Built and size-checked here; not run on hardware by this project (no DK on
// these machines).
#if hasFeature(Embedded)
import NRF
import NRFBoard

startNRFBootStage(NRFBoardWiring(
    name: "nrf52840dk", uarteBase: 0x4000_2000,
    consoleTX: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
    consoleRX: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin),
    buttonPort: BoardConfig.buttonPort == 0 ? .nrf52840P0 : .nrf52840P1,
    buttonPin: BoardConfig.buttonPin, buttonActiveLow: BoardConfig.buttonActiveLow, buttonPullUp: BoardConfig.buttonPullUp,
    gpregret: BoardConfig.gpregret, nvmc: .nrf52840,
    primary: (BoardConfig.primaryOffset, BoardConfig.primarySize),
    secondary: (BoardConfig.secondaryOffset, BoardConfig.secondarySize)))
#endif
