package scenarios

// baseScenario checks the base topology as it is: with the reference lab,
// iBGP and eBGP, single-hop and multi-hop, all at once.
func baseScenario() Scenario {
	return one("base", "the base topology: sessions, BFD, every router's routes and kernel, curl from every router and client", nil, Step{})
}
