/** Tasks: the code jobs can run, registered by name. */
import type { TaskDefinition } from '../core/task.ts';
import { builder } from './builder.ts';

const TaskRef = builder.objectRef<TaskDefinition>('Task').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
  }),
});

builder.queryField('tasks', (t) =>
  t.field({
    type: [TaskRef],
    description: 'The tasks a job can run, by name.',
    resolve: (_root, _args, ctx) => ctx.service.listTasks(),
  }),
);
