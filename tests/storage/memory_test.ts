import { memoryStorage } from "../../src/storage/memory.ts";
import { storageContract } from "./contract.ts";

storageContract("memory", { open: () => Promise.resolve(memoryStorage()) });
