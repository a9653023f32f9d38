/** Graphs (`nr.graph`): the Graph structure, batching, and the Cora-style citation format. */
export { Graph, type EdgeList, type FromEdgesOptions, type NodeData } from './graph.js';
export { parseCitationGraph, loadCitationGraph, type CitationGraph, type CitationGraphOptions } from './citation.js';
export { karateClub, KARATE_CLUBS } from './karate.js';
