// The wiring of the nrf5340dk's boot stage and sample application: this SoC's addresses and the values
// of BoardConfig.swift (generated from Boards/nrf5340dk/board.yml and Layouts/nrf5340dk.yml). One file for
// both: the sample application's folder links to it.
#if hasFeature(Embedded)
import NRF
import NRFBoard

/// A function: Swift 6 forbids shared mutable globals.
func boardWiring() -> NRFBoardWiring {
    NRFBoardWiring(
        name: "nrf5340dk", uarteBase: 0x5000_8000  /* UARTE0, secure alias */,
        consoleTX: NRFPin(port: BoardConfig.consoleTX.port, pin: BoardConfig.consoleTX.pin),
        consoleRX: NRFPin(port: BoardConfig.consoleRX.port, pin: BoardConfig.consoleRX.pin),
        buttonPort: BoardConfig.buttonPort == 0 ? .nrf5340ApplicationP0Secure : .nrf5340ApplicationP1Secure,
        buttonPin: BoardConfig.buttonPin, buttonActiveLow: BoardConfig.buttonActiveLow, buttonPullUp: BoardConfig.buttonPullUp,
        gpregret: BoardConfig.gpregret, nvmc: .nrf5340Application(secure: true),
        primary: (BoardConfig.primaryOffset, BoardConfig.primarySize),
        secondary: (BoardConfig.secondaryOffset, BoardConfig.secondarySize))
}
#endif
