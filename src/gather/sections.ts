// What a section of a mechanism's facts says when the caller (a step tool) did not look at it: the facts
// builders (aksFacts, eksFacts) fill every section they are not given with it.
export const NOT_GATHERED = "not gathered by this tool";
