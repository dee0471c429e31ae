// The boot stage of the nRF5340 DK (PCA10095), application core (secure aliases): the shared nRF wiring (NRFBoard) with this board's
// SoC addresses and the values of BoardConfig.swift, generated from Boards/nrf5340dk/board.yml and
// Layouts/nrf5340dk.yml. Built and size-checked here; not run on hardware by this project (no DK on
// these machines).
#if hasFeature(Embedded)
import NRF
import NRFBoard

startNRFBootStage(NRFBoardWiring(
    name: "nrf5340dk", uarteBase: 0x5000_8000  /* UARTE0, secure alias */,
    consoleTX: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
    consoleRX: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin),
    buttonPort: BoardConfig.buttonPort == 0 ? .nrf5340ApplicationP0Secure : .nrf5340ApplicationP1Secure,
    buttonPin: BoardConfig.buttonPin, buttonActiveLow: BoardConfig.buttonActiveLow, buttonPullUp: BoardConfig.buttonPullUp,
    gpregret: BoardConfig.gpregret, nvmc: .nrf5340Application(secure: true),
    primary: (BoardConfig.primaryOffset, BoardConfig.primarySize),
    secondary: (BoardConfig.secondaryOffset, BoardConfig.secondarySize)))
#endif
